#!/usr/bin/env bash
# `npm test`: the type-check (`npm run typecheck`), the linters (`npm run lint`: ESLint and
# ShellCheck) and the mock suite side by side, the suite's spec files spread over two mocha
# workers; fails if any fails. Arguments go to mocha.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
npm run -s typecheck &
typecheck=$!
bash tools/lint.sh &
lint=$!
npx mocha --parallel --jobs 2 "$@"
suite=$?
wait "$typecheck"
checked=$?
wait "$lint"
linted=$?
(( checked == 0 )) || echo "npm test: the type-check failed (npm run typecheck)" >&2
(( linted == 0 )) || echo "npm test: lint failed (npm run lint)" >&2
exit $(( suite != 0 ? suite : checked != 0 ? checked : linted ))
