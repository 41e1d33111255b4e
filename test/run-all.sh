#!/usr/bin/env bash
# `npm test`: everything CI runs, in order. On a fresh machine the lab's root file systems take minutes
# to build (debootstrap); they build while the unit and agent tests run, so the end-to-end tests find
# them ready. GFS_LIFE_TESTS=1 adds the long life-cycle tests (README, Tests).
set -uo pipefail
cd "$(dirname "$0")/.."
npm run -s lab -- deps || exit
npm run -s typecheck || exit
log=$(mktemp)
npm run -s lab -- rootfs >"$log" 2>&1 &
build=$!
npm run -s test:unit
unit=$?
wait "$build"
built=$?
if [ "$built" != 0 ]; then
  cat "$log" >&2
  echo "npm test: the lab's root file systems could not be built (above); the end-to-end tests need them" >&2
  exit 1
fi
rm -f "$log"
[ "$unit" = 0 ] || exit "$unit"
npm run -s test:e2e || exit
if [ "${GFS_LIFE_TESTS:-}" = 1 ]; then npm run -s test:life || exit; fi
