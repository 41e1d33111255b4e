// The agent's own gv0 mounts on the lab (docs/drain.md): provisioned on both hosts, used for publishing,
// a dead gluster client mounted again by repair, a hung one left out and killed by repair, kept over an
// agent restart, fewer of them when the inventory says so.
import test from 'ava'
import { eventually, labInventory, labInventoryWith, onHost, provisionedLab, tryOnHost } from '../helpers/lab.ts'
import { explain, provision } from '../helpers/provision.ts'

const dir = '/run/gfs-writecache-gv0'
const drainMounts = async (host: string) =>
  (await onHost(host, `findmnt --list --noheadings -o TARGET,FSTYPE | awk '$1 ~ "^${dir}/" { print $1, $2 }' | sort -V`)).trim().split('\n').filter(Boolean)
const status = async (host: string) => JSON.parse(await onHost(host, 'gfs-writecache status --json')) as { drainMounts?: { wanted: number; usable: number; problems: { path: string; problem: string }[] } }

test.before(provisionedLab)

test.serial('both hosts publish through 16 drain mounts of gv0; 300 small files arrive whole on both bricks', async (t) => {
  for (const host of ['hydra', 'plexus']) {
    t.deepEqual(await drainMounts(host), Array.from({ length: 16 }, (_, i) => `${dir}/${i + 1} fuse.glusterfs`))
    t.deepEqual((await status(host)).drainMounts, { wanted: 16, usable: 16, problems: [] })
  }
  await onHost('hydra', 'mkdir -p /gfs/union/drain-e2e && for i in $(seq 1 300); do echo "file $i" > /gfs/union/drain-e2e/f$i; done')
  await onHost('hydra', 'gfs-writecache flush --wait --timeout 300', { timeoutMs: 330_000 })
  const listing = 'cd /data/brick1/gv0/drain-e2e && ls -A | sort | xargs cat | sha256sum'
  const want = (await onHost('hydra', 'cd /gfs/union/drain-e2e && ls -A | sort | xargs cat | sha256sum')).trim()
  t.is((await onHost('hydra', listing)).trim(), want)
  t.is((await onHost('plexus', listing)).trim(), want)
  t.is((await onHost('plexus', 'ls -A /data/brick1/gv0/drain-e2e | wc -l')).trim(), '300')
})

test.serial('a drain mount whose gluster client died is left out, then mounted again by repair; an agent restart keeps them', async (t) => {
  await onHost('hydra', `kill -9 $(pgrep -f 'glusterfs.* ${dir}/3$')`)
  await eventually(async () => (await status('hydra')).drainMounts?.usable === 15 || 'still 16 usable', 30_000)
  const s = await status('hydra')
  t.deepEqual(s.drainMounts?.problems.map((p) => p.path), [`${dir}/3`])
  t.regex(s.drainMounts!.problems[0]!.problem, /not answering \(ENOTCONN\)/)
  // publishing goes on through the others
  await onHost('hydra', 'echo while-one-is-dead > /gfs/union/drain-e2e/while-dead.txt')
  await onHost('hydra', 'gfs-writecache flush --wait --timeout 120', { timeoutMs: 150_000 })
  t.is(await onHost('plexus', 'cat /data/brick1/gv0/drain-e2e/while-dead.txt'), 'while-one-is-dead\n')
  const repair = await provision(['repair', '--inventory', labInventory(), '--tags', 'mounts'], { timeoutMs: 10 * 60_000 })
  t.is(repair.exitCode, 0, explain(repair))
  t.is(repair.recap?.hosts.hydra?.changed, 1) // one task: the agent stopped, the mount again, the agent started
  t.is((await onHost('hydra', 'systemctl is-active gfs-writecache.service')).trim(), 'active')
  await eventually(async () => (await status('hydra')).drainMounts?.usable === 16 || 'not 16 again', 30_000)
  await onHost('hydra', 'systemctl restart gfs-writecache.service')
  await eventually(async () => (await status('hydra')).drainMounts?.usable === 16 || 'not 16 after restart', 30_000)
  t.is((await drainMounts('hydra')).length, 16)
})

// glusterfs 10.3's client can crash on a graph switch and hang in its crash handler: alive, answering nothing.
// A stopped client stands in for it. What waits on it waits until the client dies.
test.serial('a drain mount whose gluster client hangs is left out without holding up the agent, then killed and mounted again by repair', async (t) => {
  const pid = (await onHost('hydra', `pgrep -f 'glusterfs.* ${dir}/5$'`)).trim()
  t.regex(pid, /^\d+$/)
  await onHost('hydra', `kill -STOP ${pid}`)
  try {
    await eventually(async () => (await status('hydra')).drainMounts?.usable === 15 || 'still 16 usable', 90_000)
    const s = await status('hydra')
    t.deepEqual(s.drainMounts?.problems.map((p) => p.path), [`${dir}/5`])
    t.regex(s.drainMounts!.problems[0]!.problem, /not answering \(no answer in \d+ s\)/)
    // status answers at once now: the probe still out is not sent again
    const started = Date.now()
    await status('hydra')
    t.true(Date.now() - started < 10_000, `status took ${Date.now() - started} ms`)
    await onHost('hydra', 'for i in $(seq 1 40); do echo "hung $i" > /gfs/union/drain-e2e/while-hung-$i.txt; done')
    await onHost('hydra', 'gfs-writecache flush --wait --timeout 120', { timeoutMs: 150_000 })
    t.is((await onHost('plexus', 'cat /data/brick1/gv0/drain-e2e/while-hung-*.txt | wc -l')).trim(), '40')
  } catch (err) {
    await tryOnHost('hydra', `kill -CONT ${pid}`)
    throw err
  }
  const repair = await provision(['repair', '--inventory', labInventory(), '--tags', 'mounts'], { timeoutMs: 10 * 60_000 })
  t.is(repair.exitCode, 0, explain(repair))
  const said = JSON.stringify(repair.events)
  t.regex(said, /kill the gluster client of \/run\/gfs-writecache-gv0\/5: it answers nothing/)
  t.regex(said, /mount \/run\/gfs-writecache-gv0\/5 again \(its gluster client hangs: no answer in 20 s\)/)
  t.not((await tryOnHost('hydra', `kill -0 ${pid}`)).exitCode, 0, 'the hung client was killed')
  t.is((await onHost('hydra', 'systemctl is-active gfs-writecache.service')).trim(), 'active')
  await eventually(async () => (await status('hydra')).drainMounts?.usable === 16 || 'not 16 again', 60_000)
})

test.serial('drain_mounts: 2 in the inventory leaves two mounts and two units; 0 none, publishing through gv0_mount', async (t) => {
  const units = (host: string) => onHost(host, `ls /etc/systemd/system | grep -c 'x2dwritecache.x2dgv0-' || true`).then((s) => s.trim())
  for (const n of [2, 0]) {
    const inventory = labInventoryWith((inv) => {
      inv.all.vars.flush = { ...(inv.all.vars.flush ?? {}), drain_mounts: n }
    })
    const run = await provision(['--inventory', inventory], { timeoutMs: 10 * 60_000 })
    t.is(run.exitCode, 0, explain(run))
    t.is((await drainMounts('plexus')).length, n)
    t.is(await units('plexus'), String(n))
    await eventually(async () => (await status('plexus')).drainMounts?.usable === n || `not ${n}`, 30_000)
    await onHost('plexus', `echo with-${n} > /gfs/union/drain-e2e-${n}.txt && gfs-writecache flush --wait --timeout 120`, { timeoutMs: 150_000 })
    t.is(await onHost('hydra', `cat /data/brick1/gv0/drain-e2e-${n}.txt`), `with-${n}\n`)
  }
  const back = await provision(['--inventory', labInventory()], { timeoutMs: 10 * 60_000 })
  t.is(back.exitCode, 0, explain(back))
  t.is((await drainMounts('plexus')).length, 16)
})
