// Health as a monitor sees it on a real host: `gfs-writecache status`'s exit code in each state, the agent's
// warnings in journald by priority, and gluster's health in the metrics file.
import test from 'ava'
import { eventually, labInventory, labInventoryWith, onHost, provisionedLab, tryOnHost } from '../helpers/lab.ts'
import { explain, provision } from '../helpers/provision.ts'

const metricsFile = '/var/lib/gfs-writecache-metrics/gfs-writecache.prom'
let inventory = ''

const status = async (host = 'hydra') => {
  const r = await tryOnHost(host, 'gfs-writecache status')
  return { code: r.exitCode, first: r.stdout.split('\n')[0] ?? '', text: r.stdout + r.stderr }
}

/** One gauge of the metrics file on a host, undefined when absent. */
const gauge = async (host: string, name: string) => {
  const text = await onHost(host, `cat ${metricsFile}`)
  const value = text.match(new RegExp(`^${name}\\{host="${host}"\\} (\\S+)$`, 'm'))?.[1]
  return value === undefined ? undefined : Number(value)
}

test.before(async () => {
  await provisionedLab()
  for (const host of ['hydra', 'plexus']) await onHost(host, `rm -f ${metricsFile}`)
  // low pending-age thresholds, so a blocked backlog turns warning, then critical, within seconds
  inventory = labInventoryWith((inv) => {
    inv.all.vars.metrics_file = metricsFile
    inv.all.vars.health = { pending_age_warning_seconds: 5, pending_age_critical_seconds: 20 }
  })
  const site = await provision(['--inventory', inventory], { timeoutMs: 10 * 60_000 })
  if (site.exitCode !== 0) throw new Error(`site with health thresholds failed: ${explain(site)}`)
})

test.after.always(async () => {
  await tryOnHost('plexus', 'gluster --mode=script volume start gv0 force')
  await tryOnHost('hydra', 'systemctl start gfs-writecache; gfs-writecache mount-union')
  // the lab inventory's own settings back for the next file
  await provision(['--inventory', labInventory()], { timeoutMs: 10 * 60_000 })
})

test.serial('healthy: status exits 0, the metrics file (where the inventory says) carries gluster\'s health', async (t) => {
  const checked = async (host: string) => (await gauge(host, 'gfs_writecache_gluster_up').catch(() => undefined)) === 1 || `${host}: no gluster check yet`
  await eventually(async () => ((await checked('hydra')) === true ? checked('plexus') : checked('hydra')), 90_000)
  const s = await status()
  t.is(s.code, 0, s.text)
  t.is(s.first, 'OK')
  t.regex(s.text, /gluster: 1\/1 peers connected, 2\/2 bricks reachable, 0 pending heals, 0 in split brain, gv0 writable/)
  for (const host of ['hydra', 'plexus']) {
    t.is(await gauge(host, 'gfs_writecache_gluster_peers_connected'), 1, host)
    t.is(await gauge(host, 'gfs_writecache_gluster_peers'), 1, host)
    t.is(await gauge(host, 'gfs_writecache_gluster_bricks_online'), 2, host)
    t.is(await gauge(host, 'gfs_writecache_gluster_bricks'), 2, host)
    t.is(await gauge(host, 'gfs_writecache_gluster_heal_pending_entries'), 0, host)
    t.is(await gauge(host, 'gfs_writecache_gluster_split_brain_entries'), 0, host)
    t.is(await gauge(host, 'gfs_writecache_gv0_writable'), 1, host)
    t.is(await gauge(host, 'gfs_writecache_health_state'), 0, host)
  }
})

test.serial('union unmounted: status exits 2 and says so; mounted again: 0', async (t) => {
  await onHost('hydra', 'umount /gfs/union')
  const s = await status()
  t.is(s.code, 2, s.text)
  t.is(s.first, 'CRITICAL: union /gfs/union not mounted: writes land on the root disk')
  await onHost('hydra', 'gfs-writecache mount-union')
  t.is((await status()).code, 0)
})

test.serial('agent stopped: status exits 2 (critical); the metrics file says down', async (t) => {
  await onHost('hydra', 'systemctl stop gfs-writecache')
  const s = await status()
  t.is(s.code, 2, s.text)
  t.regex(s.first, /^CRITICAL: flush agent not running/)
  t.is(await gauge('hydra', 'gfs_writecache_up'), 0)
  t.is(await gauge('hydra', 'gfs_writecache_health_state'), 2)
  await onHost('hydra', 'systemctl start gfs-writecache')
  await eventually(async () => (await status()).code === 0 || (await status()).text, 60_000)
})

test.serial('a brick down: gv0 read-only is a warning (1), a backlog held past the thresholds critical (2); journald has the warning', async (t) => {
  const since = (await onHost('hydra', 'date +%s')).trim()
  await onHost('plexus', 'kill -9 $(pgrep -x glusterfsd)')
  // the agent checks gluster at start and every minute: a restart asks now
  await onHost('hydra', 'systemctl restart gfs-writecache')
  await eventually(async () => (await gauge('hydra', 'gfs_writecache_gv0_writable')) === 0 || 'gv0 still writable in metrics', 90_000)
  t.is(await gauge('hydra', 'gfs_writecache_gluster_bricks_online'), 1)
  t.is(await gauge('hydra', 'gfs_writecache_gluster_bricks'), 2)
  // the agent stopped by the restart may have written that gauge: the new one answers once it is up, and
  // gv0's client may answer ENOTCONN for a moment right after the brick died
  let s = await status()
  await eventually(async () => (s = await status()).code === 1 || s.text, 60_000)
  t.is(s.code, 1, s.text)
  t.regex(s.first, /^WARNING: .*gv0 read-only: 1 of 2 bricks reachable, too few for quorum/)
  const journal = await onHost('hydra', `journalctl -u gfs-writecache -p warning --since @${since} --no-pager -o cat`)
  t.regex(journal, /gluster: gv0 read-only \(1 of 2 bricks reachable\)/)
  const info = await onHost('hydra', `journalctl -u gfs-writecache -p info --since @${since} --no-pager -o cat`)
  t.regex(info, /gfs-writecache agent started/, 'info lines are there at -p info')
  t.notRegex(journal, /gfs-writecache agent started/, '... and not at -p warning')
  // a write the union takes while gv0 refuses it: the backlog ages past 5 s (warning), then 20 s (critical)
  await onHost('hydra', 'echo held > /gfs/union/held-while-read-only.txt')
  await eventually(async () => {
    const now = await status()
    return (now.code === 2 && /oldest unpublished change \d+ s old \(threshold 20 s\)/.test(now.first)) || now.text
  }, 90_000)
  await onHost('plexus', 'gluster --mode=script volume start gv0 force')
  await onHost('hydra', 'gfs-writecache flush --wait --timeout 120', { timeoutMs: 150_000 })
  t.is(await onHost('plexus', 'cat /data/brick1/gv0/held-while-read-only.txt'), 'held\n')
  await onHost('hydra', 'systemctl restart gfs-writecache')
  await eventually(async () => (await status()).code === 0 || (await status()).text, 90_000)
})
