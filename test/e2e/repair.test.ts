// Drift on a provisioned lab, found by status and put back by repair; a second repair changes nothing.
import test from 'ava'
import { eventually, lab, labInventory, onHost, requireRoot, tryOnHost } from '../helpers/lab.ts'
import { explain, provision, type ProvisionRun } from '../helpers/provision.ts'

const inventory = ['--inventory', labInventory()]
const changedOn = (run: ProvisionRun, host: string) => run.recap?.hosts[host]?.changed ?? -1

test.before(async () => {
  requireRoot()
  await lab.up({ log: () => {} })
  const site = await provision(inventory, { timeoutMs: 20 * 60_000 })
  if (site.exitCode !== 0) throw new Error(`site playbook failed on the lab: ${explain(site)}`)
})

async function repairTwice(t: import('ava').ExecutionContext) {
  const first = await provision(['repair', ...inventory])
  t.is(first.exitCode, 0, explain(first))
  const second = await provision(['repair', ...inventory])
  t.is(second.exitCode, 0, explain(second))
  for (const h of ['hydra', 'plexus']) t.is(changedOn(second, h), 0, `second repair changed something on ${h}`)
  return first
}

async function statusRun() {
  return await provision(['status', ...inventory])
}

test.serial('status is healthy on a provisioned lab, and says so per host', async (t) => {
  const run = await statusRun()
  t.is(run.exitCode, 0, explain(run))
  const agent = run.events.find((e) => e.type === 'task:end' && e.task === 'flush agent' && e.host === 'hydra')
  t.regex(JSON.stringify(agent), /running/)
})

test.serial('glusterd disabled and stopped on plexus', async (t) => {
  await onHost('plexus', 'systemctl disable --now glusterd.service')
  const before = await statusRun()
  t.not(before.exitCode, 0)
  t.regex(before.failures.join('\n'), /plexus glusterd: glusterd is inactive, disabled/)
  const repair = await repairTwice(t)
  t.true(changedOn(repair, 'plexus') > 0)
  t.is((await onHost('plexus', 'systemctl is-enabled glusterd; systemctl is-active glusterd')).trim(), 'enabled\nactive')
  await eventually(async () => (await statusRun()).exitCode === 0 || 'status still unhealthy', 60_000, 2000)
})

test.serial('gv0 stopped', async (t) => {
  await onHost('hydra', 'gluster --mode=script volume stop gv0')
  const before = await statusRun()
  t.regex(before.failures.join('\n'), /gv0 STOPPED/)
  await repairTwice(t)
  t.regex(await onHost('hydra', 'gluster volume info gv0'), /Status: Started/)
  await onHost('hydra', 'echo after-restart > /gfs/union/after-volume-restart.txt')
  await onHost('hydra', 'gfs-writecache flush --wait --timeout 120', { timeoutMs: 150_000 })
  for (const h of ['hydra', 'plexus']) t.is(await onHost(h, 'cat /data/brick1/gv0/after-volume-restart.txt'), 'after-restart\n')
})

test.serial("plexus's brick wiped while hydra holds the data", async (t) => {
  await onHost('hydra', 'mkdir -p /gfs/union/precious && for i in 1 2 3 4 5; do echo "file $i" > /gfs/union/precious/f$i; done')
  await onHost('hydra', 'gfs-writecache flush --wait --timeout 120', { timeoutMs: 150_000 })
  t.is(await onHost('plexus', 'cat /data/brick1/gv0/precious/f3'), 'file 3\n')
  await onHost('plexus', 'pkill -x glusterfsd || true; rm -rf /data/brick1/gv0')
  const repair = await repairTwice(t)
  t.regex(JSON.stringify(repair.events), /reset-brick plexus:\/data\/brick1\/gv0/)
  await eventually(async () => (await tryOnHost('plexus', 'cat /data/brick1/gv0/precious/f5')).stdout === 'file 5\n', 120_000, 2000)
  for (let i = 1; i <= 5; i++) t.is(await onHost('plexus', `cat /data/brick1/gv0/precious/f${i}`), `file ${i}\n`)
  t.is(await onHost('hydra', 'cat /data/brick1/gv0/precious/f1'), 'file 1\n')
})

test.serial("hydra's union unmounted with the agent stopped", async (t) => {
  await onHost('hydra', 'systemctl stop gfs-writecache.service && umount /gfs/union')
  t.is((await tryOnHost('hydra', 'echo lost > /gfs/union/x')).exitCode === 0, false, 'the bare mount point refuses writes')
  const before = await statusRun()
  t.regex(before.failures.join('\n'), /hydra mounts: \/gfs\/union not mounted/)
  await repairTwice(t)
  t.is(JSON.parse(await onHost('hydra', 'findmnt --json -o FSTYPE /gfs/union')).filesystems[0].fstype, 'overlay')
  t.is((await onHost('hydra', 'systemctl is-active gfs-writecache.service')).trim(), 'active')
  const after = await statusRun()
  t.is(after.exitCode, 0, explain(after))
})
