// The upload limit on the lab's shaped WAN: `limit` changes a drain's rate live, `pause` publishes nothing,
// `flush --now` drains anyway, and a timetable from the inventory switches within seconds of its time.
import test from 'ava'
import { eventually, lab, labInventoryWith, onHost, provisionedLab } from '../helpers/lab.ts'
import { provision, explain } from '../helpers/provision.ts'

const brick = '/data/brick1/gv0'
const KiB = 1024
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
// directories new in this run: a lab that is reused keeps gv0's content from earlier runs
const runId = Date.now().toString(36)
const live = `uplink-live-${runId}`
const table = `uplink-table-${runId}`
const viaPlaybook = `uplink-playbook-${runId}`

/** Bytes under a directory of plexus's brick: what crossed the WAN into it (temporaries included). */
async function onPlexus(dir: string): Promise<number> {
  const out = await onHost('plexus', `find ${brick}/${dir} -type f -printf '%s\\n' 2>/dev/null | awk '{s+=$1} END {print s+0}'`)
  return Number(out.trim())
}

/** Bytes per second arriving in that directory over `ms`. */
async function rateInto(dir: string, ms: number): Promise<number> {
  const b0 = await onPlexus(dir)
  const t0 = performance.now()
  await sleep(ms)
  return ((await onPlexus(dir)) - b0) / ((performance.now() - t0) / 1000)
}

const status = async () => JSON.parse(await onHost('hydra', 'gfs-writecache status --json'))
const limit = (arg: string) => onHost('hydra', `gfs-writecache limit ${arg}`)

test.before(provisionedLab)

test.after.always(async () => {
  await onHost('hydra', 'gfs-writecache limit --clear').catch(() => {})
  await lab.shape(null, { rttMs: 20 })
})

test.serial('limit changes a drain live on the shaped link; pause stops it and publishes nothing; flush --now drains anyway', async (t) => {
  await lab.shape(10000, { rttMs: 20 })
  await onHost('hydra', `mkdir -p /gfs/union/${live} && gfs-writecache flush --wait --timeout 120`)
  t.regex(await limit('128k'), /upload limit: 128 KiB\/s \(limit command\)/)
  await onHost('hydra', `head -c 16000000 /dev/urandom > /gfs/union/${live}/f.bin`)
  const expected = (await onHost('hydra', `sha256sum < /gfs/union/${live}/f.bin`)).split(' ')[0]
  await eventually(async () => (await onPlexus(live)) > 0 || 'no copy on plexus yet', 60_000)
  await sleep(1000)
  const slow = await rateInto(live, 5000)
  t.log(`limit 128k: ${(slow / KiB).toFixed(0)} KiB/s into plexus's brick`)
  t.true(slow > 90 * KiB && slow < 170 * KiB, `${slow} B/s under a 128 KiB/s limit`)

  await limit('1M')
  await sleep(1000)
  const fast = await rateInto(live, 3000)
  t.log(`limit 1M: ${(fast / KiB).toFixed(0)} KiB/s`)
  t.true(fast > 3 * slow && fast < 1.25 * 1024 * KiB, `${fast} B/s after limit 1M (128k gave ${slow})`)

  // 16 MB: at most a third of it has crossed by now, so the pause lands in the middle of the copy
  await limit('pause')
  // the copy in progress stops and its temporary goes: nothing is left growing in gv0
  await eventually(async () => (await onPlexus(live)) === 0 || 'temporary still on plexus', 20_000)
  await sleep(3000)
  t.is(await onPlexus(live), 0, 'nothing published while paused')
  const s = await status()
  t.like(s.uplink, { limit: 'pause', limitBytesPerSecond: -1, source: 'limit command' })
  t.is(s.pending.entries, 1)
  const metrics = await onHost('hydra', 'cat /var/lib/prometheus/node-exporter/gfs-writecache.prom')
  t.regex(metrics, /^gfs_writecache_upload_limit_bytes_per_second\{host="hydra"\} -1$/m)

  const now = await onHost('hydra', 'gfs-writecache flush --now --wait --timeout 120', { timeoutMs: 150_000 })
  t.regex(now, /nothing pending/)
  t.is((await onHost('plexus', `sha256sum < ${brick}/${live}/f.bin`)).split(' ')[0], expected)
  t.like((await status()).uplink, { limit: 'pause' }, 'flush --now lasted one drain')
  await limit('--clear')
})

test.serial('the flush playbook shows the host\'s progress and ETA while it drains under a limit', async (t) => {
  await lab.shape(10000, { rttMs: 20 })
  await limit('256k')
  await onHost('hydra', `mkdir -p /gfs/union/${viaPlaybook} && head -c 6000000 /dev/urandom > /gfs/union/${viaPlaybook}/p.bin`)
  // right away: the playbook has the agent walk its cache first, so the file just written counts
  const run = await provision(['flush', '--inventory', lab.inventoryPath, '--limit', 'hydra'], { timeoutMs: 300_000 })
  t.is(run.exitCode, 0, explain(run))
  const planned = run.events.flatMap((e) => (e.type === 'task:end' && e.host === 'hydra' ? (e.changes ?? []) : []))
  t.true(planned.some((c) => /^publish \d+ entries \([\d.]+ MiB\) at upload limit 256 KiB\/s, ETA \d+/.test(c)), planned.join('\n'))
  const progress = run.events.flatMap((e) => (e.type === 'progress' && e.host === 'hydra' ? [e.message] : []))
  t.log(progress.join('\n'))
  t.true(progress.some((m) => /^1 entries, [\d.]+ (KiB|MiB) left, [\d.]+ KiB\/s \(limit 256 KiB\/s\), ETA \d+/.test(m)), progress.join('\n'))
  t.is((await onHost('plexus', `stat -c %s ${brick}/${viaPlaybook}/p.bin`)).trim(), '6000000')
  await limit('--clear')
})

test.serial('a timetable from the inventory: paused, then publishing within seconds of its switch', async (t) => {
  // hydra's local time (the lab runs UTC); a timetable that pauses every other minute from now on
  const [hh, mm] = (await onHost('hydra', 'date +%H:%M')).trim().split(':').map(Number)
  const m0 = hh * 60 + mm
  const entries = Array.from({ length: 30 }, (_, k) => {
    const m = (m0 + k) % 1440
    return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')},${k % 2 ? 'off' : 'pause'}`
  }).join(' ')
  const inventory = labInventoryWith((inv) => {
    inv.all.hosts.hydra = { ...(inv.all.hosts.hydra ?? {}), flush: { bandwidth: entries } }
  })
  const run = await provision(['--inventory', inventory, '--tags', 'agent', '--limit', 'hydra'])
  t.is(run.exitCode, 0, explain(run))
  t.teardown(async () => {
    const back = await provision(['--inventory', lab.inventoryPath, '--tags', 'agent', '--limit', 'hydra'])
    if (back.exitCode !== 0) throw new Error(`restoring hydra's agent config: ${explain(back)}`)
  })
  // a pause window with time to spare before its end
  let switchAt = 0
  await eventually(async () => {
    const u = (await status()).uplink
    if (u.limit !== 'pause' || u.source !== 'timetable' || u.next?.limit !== 'off') return `limit ${u.limit} (${u.source})`
    switchAt = Date.parse(u.next.at)
    return switchAt - Date.now() > 12_000 || 'too close to the switch'
  }, 200_000, 1000)
  await onHost('hydra', `mkdir -p /gfs/union/${table} && head -c 200000 /dev/urandom > /gfs/union/${table}/t.bin`)
  await sleep(Math.max(0, switchAt - Date.now() - 2000))
  t.is(await onPlexus(table), 0, 'nothing published before the switch')
  let seenAt = 0
  await eventually(async () => {
    const ok = (await onHost('plexus', `stat -c %s ${brick}/${table}/t.bin 2>/dev/null || echo 0`)).trim() === '200000'
    if (ok) seenAt = Date.now()
    return ok || 'not on plexus yet'
  }, 60_000, 250)
  const delay = (seenAt - switchAt) / 1000
  t.log(`published ${delay.toFixed(1)} s after the timetable switched to off`)
  // about 1-2 s on an idle machine (a tick, a mkdir and a 200 kB copy over the WAN); generous for a loaded one,
  // still well inside the minute after which this timetable pauses again
  t.true(delay >= 0 && delay < 25, `${delay} s after the switch`)
})
