#!/usr/bin/env bash
# `npm run lint`, and part of `npm test`: ESLint over the TypeScript and JavaScript
# (eslint.config.mjs: typescript-eslint's recommended type-checked rules) and ShellCheck over
# every shell script (.shellcheckrc), side by side; fails if either finds anything.
# Both keep a cache under node_modules/.cache (npm ci starts it afresh): ESLint lints a file
# again when its content changes, ShellCheck runs when any script changed. Type-aware results
# of an unchanged file can go stale when a file it imports changes;
# `rm -rf node_modules/.cache/eslint` forces a full run.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

if ! command -v shellcheck >/dev/null 2>&1; then
  echo "lint: shellcheck is not installed. Install it from Debian: apt-get install shellcheck (.ci/run does)" >&2
  exit 1
fi

# Every shell script: *.sh, and files without that ending whose first line is a sh/bash shebang.
shell_scripts() {
  git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
    [[ -f "$f" ]] || continue
    if [[ "$f" == *.sh ]]; then echo "$f"
    elif [[ "${f##*/}" != *.* ]] && head -n 1 "$f" | grep -qE '^#!.*[/ ](ba)?sh\b'; then echo "$f"
    fi
  done
}

# ShellCheck again only when a script (or .shellcheckrc, or ShellCheck) changed since it last passed.
shellcheck_cached() {
  local stamp=node_modules/.cache/shellcheck/passed digest
  digest="$({ shellcheck --version; sha256sum .shellcheckrc "$@"; } | sha256sum)"
  [[ -f "$stamp" && "$(cat "$stamp")" == "$digest" ]] && return 0
  shellcheck "$@" || return
  mkdir -p "${stamp%/*}" && echo "$digest" >"$stamp"
}

mapfile -t scripts < <(shell_scripts)
shellcheck_cached "${scripts[@]}" &
shell=$!
# the local bin directly: npx takes 0.6 s of CPU to find it
node_modules/.bin/eslint --cache --cache-strategy content --cache-location node_modules/.cache/eslint/ "$@" .
es=$?
wait "$shell"
sc=$?
(( es == 0 )) || echo "lint: ESLint found problems (npx eslint .)" >&2
(( sc == 0 )) || echo "lint: ShellCheck found problems (shellcheck <file>)" >&2
exit $(( es != 0 ? es : sc ))
