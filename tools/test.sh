#!/usr/bin/env bash
# `npm test`: the type-check (`npm run typecheck`, skipped when nothing it reads changed), the
# linters (`npm run lint`: ESLint and ShellCheck) and the mock suite side by side, the suite's
# spec files spread over two mocha workers; fails if any fails. Arguments go to mocha.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

# The type-check again only when what it reads changed since it last passed: a TypeScript file,
# tsconfig.json or the dependencies (package.json, package-lock.json; npm ci starts the cache
# afresh). Warm and incremental, tsc still parses every declaration file it reads, 320,000 lines
# of @pulumi/kubernetes, @kubernetes/client-node and @types/node: 7 s of CPU for no change.
typecheck_cached() {
  local stamp=node_modules/.cache/tsc/passed digest listed=1
  # what tsc reads of the project, as git lists it (tracked or not, unless ignored); outside a
  # git checkout nothing is listed, and the type-check always runs
  digest="$(git ls-files -z --cached --others --exclude-standard -- '*.ts' tsconfig.json package.json package-lock.json 2>/dev/null |
    while IFS= read -r -d '' f; do if [[ -f "$f" ]]; then printf '%s\0' "$f"; fi; done | xargs -0 -r sha256sum | sha256sum)" || listed=0
  (( listed )) && [[ -f "$stamp" && "$(cat "$stamp")" == "$digest" ]] && return 0
  npm run -s typecheck || return
  if (( listed )); then mkdir -p "${stamp%/*}" && echo "$digest" >"$stamp"; fi
}

typecheck_cached &
typecheck=$!
bash tools/lint.sh &
lint=$!
# the local bin directly: npx takes 0.6 s of CPU to find it
node_modules/.bin/mocha --parallel --jobs 2 "$@"
suite=$?
wait "$typecheck"
checked=$?
wait "$lint"
linted=$?
(( checked == 0 )) || echo "npm test: the type-check failed (npm run typecheck)" >&2
(( linted == 0 )) || echo "npm test: lint failed (npm run lint)" >&2
exit $(( suite != 0 ? suite : checked != 0 ? checked : linted ))
