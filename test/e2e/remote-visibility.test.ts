// How soon hydra's union shows what plexus's agent published: a file plexus replaced answers ESTALE (or a
// name it created stays missing) through hydra's union until hydra drops its dentries. The agents stamp
// gv0's root after a pass that changed it, and the other agent drops its dentries at the stamp rather than
// at its interval (src/agent/watch/remote-publishes.ts). Both agents' interval is set to 300 s here, so
// only the stamps can explain a version seen within seconds.
import test from 'ava'
import { onHost, provisionedLab } from '../helpers/lab.ts'

const CONFIG = '/etc/gfs-writecache/config.json'
const hosts = ['hydra', 'plexus'] as const
const saved = new Map<string, string>()
const dir = `visibility-${Date.now()}`

const configured = async (h: string, cfg: string) => onHost(h, `cat > ${CONFIG} && systemctl restart gfs-writecache.service`, { input: cfg })
const flush = (h: string) => onHost(h, 'gfs-writecache flush --wait --timeout 120', { timeoutMs: 150_000 })

/**
 * On hydra: reads the file through the union every 50 ms until it holds `want`, for at most 30 s by the clock
 * (not by a count of reads, which a loaded machine stretches); the wall clock (ns) then, or `never`.
 */
const seenAt = (want: string) =>
  onHost(
    'hydra',
    `end=$(($(date +%s)+30)); while [ $(date +%s) -lt $end ]; do [ "$(cat /gfs/union/${dir}/f 2>/dev/null)" = ${want} ] && { date +%s%N; exit 0; }; sleep 0.05; done; echo never`,
    { timeoutMs: 60_000 },
  )

test.before(async () => {
  await provisionedLab()
  for (const h of hosts) {
    const cfg = await onHost(h, `cat ${CONFIG}`)
    saved.set(h, cfg)
    await configured(h, JSON.stringify({ ...JSON.parse(cfg), dentryDropSeconds: 300 }))
  }
})

test.after.always(async () => {
  for (const [h, cfg] of saved) await configured(h, cfg)
})

test.serial("a file plexus's agent replaces shows through hydra's union within seconds, not at the next interval", async (t) => {
  await onHost('plexus', `mkdir -p /gfs/union/${dir} && echo v0 > /gfs/union/${dir}/f`)
  await flush('plexus')
  t.not((await seenAt('v0')).trim(), 'never', 'hydra sees the first version')
  for (const v of ['v1', 'v2', 'v3']) {
    t.is(await onHost('hydra', `cat /gfs/union/${dir}/f`), `${v === 'v1' ? 'v0' : `v${Number(v[1]) - 1}`}\n`, 'hydra has looked the file up')
    await onHost('plexus', `echo ${v} > /gfs/union/${dir}/f`)
    await flush('plexus')
    // the hosts share this machine's clock; the watch starts once the flush has returned, so a slow flush on a
    // loaded machine takes nothing from its 30 s
    const published = BigInt((await onHost('plexus', 'date +%s%N')).trim())
    const seen = (await seenAt(v)).trim()
    if (seen === 'never') {
      t.log(`gv0's root on hydra:\n${await onHost('hydra', 'getfattr -d --absolute-names /gfs/gv0')}`)
      t.log(`gv0's root on plexus:\n${await onHost('plexus', 'getfattr -d --absolute-names /gfs/gv0')}`)
      t.log(`hydra's agent:\n${await onHost('hydra', 'journalctl -u gfs-writecache.service -n 40 --no-pager')}`)
      t.log(`plexus's agent:\n${await onHost('plexus', 'journalctl -u gfs-writecache.service -n 40 --no-pager')}`)
      t.log(`plexus's status:\n${await onHost('plexus', 'gfs-writecache status')}`)
    }
    t.not(seen, 'never', `${v} did not show through hydra's union within 30 s of plexus's flush`)
    const ms = Number((BigInt(seen) - published) / 1_000_000n)
    t.log(`${v}: through hydra's union ${ms} ms after plexus's flush returned`)
    // plexus stamps within a second of the publish (often before its flush returns), then hydra's look every 2 s,
    // its 1 s upkeep tick, at most 2 s since its last drop and the second drop for a dentry in use: about 6 s at
    // worst, and slack for a loaded machine (measured: 0.06-0.07 s after the flush returned; 3.6-4.5 s when the
    // stamp waited for the end of the pass)
    t.true(ms < 12_000, `${v} showed ${ms} ms after the publish; the interval alone would take up to 300 s`)
  }
  t.regex(await onHost('hydra', 'getfattr -d --absolute-names /gfs/gv0'), /user\.gfs-writecache\.published\.plexus="\d+"/)
})
