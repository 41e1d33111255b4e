// Teardown on the lab: --check changes nothing, a cache that cannot be published is refused on every host,
// --force keeps it on disk, and a site run afterwards brings every file back.
import test from 'ava'
import { eventually, lab, labInventory, onHost, provisionedLab, tryOnHost } from '../helpers/lab.ts'
import { explain, provision, type ProvisionRun } from '../helpers/provision.ts'

const inventory = () => ['--inventory', labInventory()]
const hosts = ['hydra', 'plexus']
const changed = (run: ProvisionRun) => Object.values(run.recap?.hosts ?? {}).reduce((n, h) => n + h.changed, 0)
const installed = 'ls /etc/systemd/system/gfs-writecache.service /usr/local/lib/gfs-writecache/agent.mjs /etc/gfs-writecache/config.json'

/** Mounts, units, program and fstab line of the appliance on a host, as one comparable text. */
async function footprint(host: string): Promise<string> {
  return await onHost(
    host,
    `findmnt -n -o TARGET,FSTYPE /gfs/union; findmnt -n -o TARGET,FSTYPE /gfs/gv0; systemctl is-active gfs-writecache.service; ` +
      `${installed} 2>&1; grep -c ' /gfs/gv0 ' /etc/fstab; true`,
  )
}

test.before(provisionedLab)

test.after.always(async () => {
  await lab.link('up')
})

test.serial('teardown --check shows every step and changes nothing', async (t) => {
  await onHost('hydra', 'mkdir -p /gfs/union/keep && for i in 1 2 3; do echo "hydra $i" > /gfs/union/keep/h$i; done')
  await onHost('plexus', 'mkdir -p /gfs/union/keep2 && echo plexus > /gfs/union/keep2/p')
  for (const h of hosts) await onHost(h, 'gfs-writecache flush --wait --timeout 120', { timeoutMs: 150_000 })
  const before = await Promise.all(hosts.map(footprint))
  const check = await provision(['teardown', ...inventory(), '--check'])
  t.is(check.exitCode, 0, explain(check))
  const planned = check.events.flatMap((e) => (e.type === 'task:end' && e.host === 'hydra' ? (e.changes ?? []) : [])).join('\n')
  for (const step of [/stop gfs-writecache.service/, /unmount \/gfs\/union/, /remove \/etc\/systemd\/system\/gfs-writecache.service/, /unmount \/gfs\/gv0/, /remove \/gfs\/gv0 from \/etc\/fstab/])
    t.regex(planned, step)
  t.deepEqual(await Promise.all(hosts.map(footprint)), before)
})

test.serial('refused on every host while the cache holds what gv0 cannot take; --force keeps it on disk', async (t) => {
  // written with the agent stopped, so it is still pending when the link goes
  await onHost('hydra', 'systemctl stop gfs-writecache.service')
  await onHost('hydra', 'mkdir -p /gfs/union/offline && echo "written while the link was down" > /gfs/union/offline/note')
  await lab.link('down')
  await eventually(async () => {
    const s = JSON.parse(await onHost('hydra', 'gfs-writecache status --json'))
    return (s.pending.entries > 0 && !!s.lower.problem) || `pending ${s.pending.entries}, gv0 ${s.lower.problem ?? 'ok'}`
  }, 90_000, 2000)
  const before = await Promise.all(hosts.map(footprint))
  const refused = await provision(['teardown', ...inventory()])
  t.is(refused.exitCode, 2, explain(refused))
  t.regex(refused.failures.join('\n'), /hydra final flush: .*pending.*--force/)
  t.deepEqual(await Promise.all(hosts.map(footprint)), before, 'nothing changed on either host')

  const forced = await provision(['teardown', ...inventory(), '--force'])
  t.is(forced.exitCode, 0, explain(forced))
  for (const h of hosts) {
    t.is((await tryOnHost(h, installed)).exitCode, 2, `${h}: agent files removed`)
    t.is((await tryOnHost(h, 'findmnt /gfs/union || findmnt /gfs/gv0')).exitCode, 1, `${h}: nothing mounted`)
    t.is((await tryOnHost(h, "grep ' /gfs/gv0 ' /etc/fstab")).exitCode, 1, `${h}: fstab clean`)
    t.regex(await onHost(h, 'systemctl list-unit-files gfs-writecache.service; true'), /0 unit files listed/)
  }
  t.is(await onHost('hydra', 'cat /data/writecache/upper/offline/note'), 'written while the link was down\n', 'the cache stays on disk')
  for (const h of hosts) t.is(await onHost(h, 'cat /data/brick1/gv0/keep/h2'), 'hydra 2\n', `${h}: brick data kept`)
  const again = await provision(['teardown', ...inventory(), '--force'])
  t.is(again.exitCode, 0, explain(again))
  t.is(changed(again), 0, 'a second teardown changes nothing')
})

test.serial('site after teardown: every file is back, the kept cache is published', async (t) => {
  await lab.link('up')
  t.regex(await onHost('hydra', 'gluster volume info gv0'), /Status: Started/, 'the volume was kept')
  const site = await provision(inventory(), { timeoutMs: 10 * 60_000 })
  t.is(site.exitCode, 0, explain(site))
  await onHost('hydra', 'gfs-writecache flush --wait --timeout 120', { timeoutMs: 150_000 })
  const files = { 'keep/h1': 'hydra 1\n', 'keep/h3': 'hydra 3\n', 'keep2/p': 'plexus\n', 'offline/note': 'written while the link was down\n' }
  for (const h of hosts)
    for (const [path, content] of Object.entries(files)) {
      t.is(await onHost(h, `cat /data/brick1/gv0/${path}`), content, `${h} brick: ${path}`)
      t.is(await onHost(h, `cat /gfs/union/${path}`), content, `${h} union: ${path}`)
    }
  t.is((await onHost('hydra', 'systemctl is-active gfs-writecache.service')).trim(), 'active')
})
