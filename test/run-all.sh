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
# The end-to-end tests in two halves side by side, each on a lab of its own (instances 0 and 1): they
# mostly wait on hosts, links and timers, so two at once take about half the time of one after the other.
# The second half's lines carry "[lab 1] ". `npm run test:e2e` runs them all on one lab.
# Labs of this run's own: hosts left on disk by an earlier run (another checkout, or a machine that kept
# /var/lib) were provisioned with that checkout's CA, and this checkout's first site run refuses to re-key them.
for n in 0 1 2; do GFS_LAB_INSTANCE=$n npm run -s lab -- down >/dev/null || exit; done
e2e=(npx ava --serial --concurrency=1 --timeout=20m)
half1=(test/e2e/agent.test.ts test/e2e/arbiter.test.ts test/e2e/become.test.ts test/e2e/brick-lower.test.ts
  test/e2e/cutoff.test.ts test/e2e/drain-mounts.test.ts test/e2e/model.test.ts test/e2e/remote-visibility.test.ts
  test/e2e/safety-time.test.ts test/e2e/uplink.test.ts)
half0=()
for f in test/lab/*.test.ts test/e2e/*.test.ts; do
  [[ " ${half1[*]} " == *" $f "* ]] || half0+=("$f")
done
( GFS_LAB_INSTANCE=1 "${e2e[@]}" "${half1[@]}" 2>&1 | sed -u 's/^/[lab 1] /'; exit "${PIPESTATUS[0]}" ) &
other=$!
# the two-instance test starts its second lab as instance 2: 1 is the other half's
GFS_LAB_OTHER_INSTANCE=2 "${e2e[@]}" "${half0[@]}"
first=$?
wait "$other"
second=$?
[ "$first" = 0 ] || exit "$first"
[ "$second" = 0 ] || { echo "npm test: the end-to-end tests on lab 1 failed (lines marked [lab 1] above)" >&2; exit "$second"; }
if [ "${GFS_LIFE_TESTS:-}" = 1 ]; then npm run -s test:life || exit; fi
