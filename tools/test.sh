#!/usr/bin/env bash
# `npm test`: the type-check (`npm run typecheck`) and the mock suite side by side, the
# suite's spec files spread over two mocha workers; fails if either fails. Arguments go to
# mocha.
set -uo pipefail
cd "$(dirname "$0")/.."
npm run -s typecheck &
typecheck=$!
npx mocha --parallel --jobs 2 "$@"
suite=$?
wait "$typecheck"
checked=$?
(( checked == 0 )) || echo "npm test: the type-check failed (npm run typecheck)" >&2
exit $(( suite != 0 ? suite : checked ))
