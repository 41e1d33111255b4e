// The agent's hardened units on the lab: systemd's own exposure score, the watchdog (a live agent beats,
// a hung one is killed and started again), a prepare step that runs out of time says so, and a start
// that failed at systemd's cgroup step is tried once more.
import test from 'ava'
import { eventually, labInventory, onHost, provisionedLab, tryOnHost } from '../helpers/lab.ts'
import { explain, provision } from '../helpers/provision.ts'
import { startUnit } from '../../src/tasks/unit-start.ts'
import { relowerCommand } from '../../src/tasks/writecache.ts'

const dropIn = (unit: string) => `/run/systemd/system/${unit}.d/test.conf`
const show = async (host: string, props: string, unit = 'gfs-writecache.service') =>
  Object.fromEntries(
    (await onHost(host, `systemctl show -p ${props} ${unit}`))
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  )

test.before(provisionedLab)

test.after.always(async () => {
  for (const h of ['hydra', 'plexus'])
    await tryOnHost(h, `rm -rf ${dropIn('gfs-writecache.service').replace('/test.conf', '')} ${dropIn('gfs-writecache-prepare.service').replace('/test.conf', '')}; systemctl daemon-reload`)
})

// 4.6 without Internet sockets; the gluster checks the agent runs as children need them (README, Security)
test.serial("systemd-analyze security rates the agent's unit below 5 on both hosts", async (t) => {
  for (const h of ['hydra', 'plexus']) {
    const out = await onHost(h, 'systemd-analyze security --no-pager gfs-writecache.service')
    const score = Number(/Overall exposure level for gfs-writecache\.service: ([\d.]+)/.exec(out)?.[1])
    t.log(`${h}: ${score}`)
    t.true(score < 5, `${h}: exposure ${score}`)
    t.regex(out, /✓ NoNewPrivileges=/)
    t.regex(out, /✓ SystemCallArchitectures=/)
    t.regex(out, /DeviceAllow=\s+Service has a device ACL/)
  }
})

test.serial('the watchdog: a live agent keeps beating, a hung one is killed and started again', async (t) => {
  // a short period so the test is short; the unit's own is a minute
  await onHost('hydra', `mkdir -p $(dirname ${dropIn('gfs-writecache.service')}) && printf '[Service]\\nWatchdogSec=4\\nTimeoutAbortSec=2\\n' > ${dropIn('gfs-writecache.service')} && systemctl daemon-reload && systemctl restart gfs-writecache.service`)
  const started = await show('hydra', 'MainPID,NRestarts')
  await new Promise((r) => setTimeout(r, 12_000))
  const alive = await show('hydra', 'MainPID,NRestarts,ActiveState,WatchdogTimestampMonotonic')
  t.is(alive.MainPID, started.MainPID, 'a live agent is left alone')
  t.is(alive.ActiveState, 'active')
  t.not(alive.WatchdogTimestampMonotonic, '0', 'beats arrived')

  await onHost('hydra', `kill -STOP ${started.MainPID}`)
  await eventually(async () => {
    const now = await show('hydra', 'MainPID,ActiveState')
    return (now.ActiveState === 'active' && now.MainPID !== started.MainPID && now.MainPID !== '0') || JSON.stringify(now)
  }, 30_000, 1000)
  t.regex(await onHost('hydra', 'journalctl -u gfs-writecache.service --no-pager -n 50'), /Watchdog timeout/)

  await onHost('hydra', `rm -f ${dropIn('gfs-writecache.service')} && systemctl daemon-reload && systemctl restart gfs-writecache.service`)
  await onHost('hydra', 'echo after-watchdog > /gfs/union/after-watchdog.txt && gfs-writecache flush --wait --timeout 120', { timeoutMs: 150_000 })
  t.is(await onHost('plexus', 'cat /data/brick1/gv0/after-watchdog.txt'), 'after-watchdog\n')
})

test.serial('a prepare step out of time leaves the union down with a clear message; repair brings it back', async (t) => {
  const prepare = 'gfs-writecache-prepare.service'
  // systemd notices the umount a moment later: a start before that finds the mount unit active and does nothing
  await onHost('plexus', 'systemctl stop gfs-writecache.service && umount /gfs/union && for i in $(seq 100); do systemctl is-active --quiet gfs-union.mount || exit 0; sleep 0.1; done; exit 1')
  // a prepare with nothing to do can finish within any short limit on a fast machine: hold it with a sleep first
  await onHost('plexus', `mkdir -p $(dirname ${dropIn(prepare)}) && printf '[Service]\\nExecStartPre=/bin/sleep 30\\nTimeoutStartSec=2s\\n' > ${dropIn(prepare)} && systemctl daemon-reload`)
  const start = await tryOnHost('plexus', 'systemctl start gfs-union.mount')
  t.not(start.exitCode, 0)
  t.is((await show('plexus', 'Result', prepare)).Result, 'timeout')
  t.regex(await onHost('plexus', `journalctl -u ${prepare} --no-pager -n 20`), /prepare did not finish within \d+ s: \/gfs\/union is not mounted .*systemctl start gfs-union\.mount/)
  t.not((await tryOnHost('plexus', 'echo x > /gfs/union/while-down')).exitCode, 0, 'writes fail instead of landing on the root disk')

  await onHost('plexus', `rm -f ${dropIn(prepare)} && systemctl daemon-reload`)
  const repair = await provision(['repair', '--inventory', labInventory()])
  t.is(repair.exitCode, 0, explain(repair))
  t.is((await onHost('plexus', 'findmnt -n -o FSTYPE /gfs/union')).trim(), 'overlay')
  t.is((await onHost('plexus', 'systemctl is-active gfs-writecache.service')).trim(), 'active')
})

// A start whose unit (or one it pulls in) failed at systemd's cgroup step is tried once more: status 219 is what
// systemd records for it, so a unit whose program exits 219 once stands in for the race. Any other failure stands.
test.serial("a start that failed at systemd's cgroup step (219/CGROUP) is tried once more; any other failure stands", async (t) => {
  const units = (code: number) =>
    `printf '[Service]\\nType=oneshot\\nRemainAfterExit=yes\\nExecStart=/bin/sh -c "test -e /run/gfs-test-raced || { touch /run/gfs-test-raced; exit ${code}; }"\\n' > /run/systemd/system/gfs-test-step.service && ` +
    `printf '[Unit]\\nRequires=gfs-test-step.service\\nAfter=gfs-test-step.service\\n[Service]\\nType=oneshot\\nRemainAfterExit=yes\\nExecStart=/bin/true\\n' > /run/systemd/system/gfs-test-user.service && ` +
    'rm -f /run/gfs-test-raced; systemctl stop gfs-test-user.service gfs-test-step.service; systemctl reset-failed gfs-test-user.service gfs-test-step.service; systemctl daemon-reload'
  try {
    await onHost('hydra', units(219))
    const raced = await tryOnHost('hydra', startUnit('gfs-test-user.service').script)
    t.is(raced.exitCode, 0, raced.stderr)
    t.regex(raced.stderr, /started again after systemd failed to attach to a cgroup \(219\/CGROUP\): gfs-test-step\.service/)
    t.is((await onHost('hydra', 'systemctl is-active gfs-test-user.service gfs-test-step.service')).trim(), 'active\nactive')

    // the union moved onto a new lower: a plain umount, then the same start with the same retry
    await onHost('hydra', `${units(219)} && mkdir -p /run/gfs-test-union && mount -t tmpfs gfs-test /run/gfs-test-union`)
    const moved = await tryOnHost('hydra', relowerCommand('/run/gfs-test-union', 'gfs-test-user.service').script)
    t.is(moved.exitCode, 0, moved.stderr)
    t.regex(moved.stderr, /started again after systemd failed to attach to a cgroup \(219\/CGROUP\): gfs-test-step\.service/)
    t.not((await tryOnHost('hydra', 'findmnt /run/gfs-test-union')).exitCode, 0, 'unmounted')
    t.is((await onHost('hydra', 'systemctl is-active gfs-test-user.service')).trim(), 'active')
    // in use: it stays mounted and says so, and nothing is started
    await onHost('hydra', `${units(219)} && mount -t tmpfs gfs-test /run/gfs-test-union`)
    const busy = await tryOnHost('hydra', `cd /run/gfs-test-union && ${relowerCommand('/run/gfs-test-union', 'gfs-test-user.service').script}`)
    t.is(busy.exitCode, 0, busy.stderr)
    t.regex(busy.stderr, /\/run\/gfs-test-union is in use: it stays on its old lower/)
    t.is((await tryOnHost('hydra', 'findmnt -n -o FSTYPE /run/gfs-test-union')).stdout.trim(), 'tmpfs')
    t.is((await tryOnHost('hydra', 'systemctl is-active gfs-test-user.service')).stdout.trim(), 'inactive')

    await onHost('hydra', units(3))
    const failed = await tryOnHost('hydra', startUnit('gfs-test-user.service').script)
    t.not(failed.exitCode, 0)
    t.notRegex(failed.stderr, /started again/)
    t.is((await tryOnHost('hydra', 'systemctl is-active gfs-test-step.service')).stdout.trim(), 'failed')
  } finally {
    await tryOnHost('hydra', 'systemctl stop gfs-test-user.service gfs-test-step.service; systemctl reset-failed gfs-test-user.service gfs-test-step.service; umount /run/gfs-test-union 2>/dev/null; rm -f /run/systemd/system/gfs-test-*.service /run/gfs-test-raced; systemctl daemon-reload')
  }
})
