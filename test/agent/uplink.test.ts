// The upload limit on real overlay mounts, through the shipped CLI and daemon: pause publishes nothing,
// `limit` changes the rate of a copy in progress, `flush --now` ignores the limit, flush --wait shows
// progress, and flush.on_stop_seconds publishes on stop (or a stop cuts a slow copy short, losing nothing).
import test, { type ExecutionContext } from 'ava'
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { AgentConfig } from '../../src/agent/service/config.ts'
import { agentBundle, cli, sandbox, sleep, until, type Sandbox, userNames } from './helpers.ts'

async function daemon(t: ExecutionContext, overrides: Partial<AgentConfig> = {}) {
  const sb = await sandbox(t, { settleSeconds: 0.2, ...overrides })
  const bundle = await agentBundle()
  const start = () => {
    const p = spawn(process.execPath, [bundle, 'run', '--config', sb.configFile], { stdio: ['ignore', 'ignore', 'pipe'] })
    let log = ''
    p.stderr.on('data', (b: Buffer) => (log += b.toString()))
    const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)))
    t.teardown(() => {
      p.kill('SIGKILL')
    })
    return { p, exited, log: () => log }
  }
  const d = start()
  t.true(await until(() => existsSync(sb.cfg.socket), 10_000), 'socket appears')
  return { sb, d, start }
}

/** The CLI without blocking this process (so the test can watch gv0 meanwhile). */
async function cliAsync(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = spawn(process.execPath, [await agentBundle(), ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  p.stdout.on('data', (b: Buffer) => (stdout += b.toString()))
  p.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
  const code = await new Promise<number | null>((r) => p.once('exit', r))
  return { code, stdout, stderr }
}

/** Bytes of this host's temporaries in gv0's top directory: a copy in progress. */
function tempBytes(sb: Sandbox): number {
  return userNames(sb.lower)
    .filter((n) => n.startsWith('.gfs-writecache.tmp.'))
    .reduce((a, n) => a + statSync(join(sb.lower, n)).size, 0)
}

const status = async (sb: Sandbox) => JSON.parse((await cli(['status', '--json', '--config', sb.configFile])).stdout)

test('limit pause publishes nothing, flush --wait says so, flush --now publishes anyway, --clear resumes', async (t) => {
  const { sb } = await daemon(t)
  const set = await cli(['limit', 'pause', '--config', sb.configFile])
  t.is(set.code, 0, set.stderr)
  t.regex(set.stdout, /upload limit: pause \(limit command\)/)
  writeFileSync(join(sb.union, 'a.txt'), 'aaa')
  writeFileSync(join(sb.union, 'b.bin'), Buffer.alloc(100_000, 7))
  await sleep(2500)
  t.deepEqual(userNames(sb.lower), [], 'nothing in gv0 while paused')
  const s = await status(sb)
  t.like(s.uplink, { limit: 'pause', limitBytesPerSecond: -1, source: 'limit command', etaSeconds: null })
  t.is(s.pending.entries, 2)
  t.regex((await cli(['status', '--config', sb.configFile])).stdout, /upload limit: pause \(limit command\)/)
  t.true(await until(() => existsSync(sb.cfg.metricsFile) && /^gfs_writecache_upload_limit_bytes_per_second\{host="hydra"\} -1$/m.test(readFileSync(sb.cfg.metricsFile, 'utf8')), 10_000), 'metric shows -1')

  const waited = await cli(['flush', '--wait', '--timeout', '10', '--config', sb.configFile])
  t.is(waited.code, 1)
  t.regex(waited.stderr, /publishing paused \(gfs-writecache limit pause until `gfs-writecache limit --clear`\); 2 entries pending \(flush --now/)
  t.deepEqual(userNames(sb.lower), [])

  const now = await cli(['flush', '--now', '--wait', '--timeout', '20', '--config', sb.configFile])
  t.is(now.code, 0, now.stderr)
  t.is(readFileSync(join(sb.lower, 'a.txt'), 'utf8'), 'aaa')
  t.is(statSync(join(sb.lower, 'b.bin')).size, 100_000)
  // --now lasted one drain: still paused afterwards
  writeFileSync(join(sb.union, 'c.txt'), 'ccc')
  await sleep(2000)
  t.false(existsSync(join(sb.lower, 'c.txt')))
  t.like((await status(sb)).uplink, { limit: 'pause' })

  const clear = await cli(['limit', '--clear', '--config', sb.configFile])
  t.regex(clear.stdout, /upload limit: off \(timetable\)/)
  t.true(await until(() => existsSync(join(sb.lower, 'c.txt')), 10_000), 'published after --clear')
})

test('limit changes the rate of a copy in progress; flush --wait prints progress lines with an ETA', async (t) => {
  const { sb } = await daemon(t)
  t.is((await cli(['limit', '64k', '--config', sb.configFile])).code, 0)
  writeFileSync(join(sb.union, 'big.bin'), Buffer.alloc(3 << 20, 1))
  const flushing = cliAsync(['flush', '--wait', '--timeout', '120', '--config', sb.configFile])
  t.true(await until(() => tempBytes(sb) > 0, 10_000), 'the copy started')
  await sleep(1000)
  const b0 = tempBytes(sb)
  const t0 = performance.now()
  await sleep(3000)
  // by the clock, not the sleep asked for: on a loaded machine the sleep runs long
  const rate = (tempBytes(sb) - b0) / ((performance.now() - t0) / 1000)
  t.true(rate > 40_000 && rate < 90_000, `copy at ${rate} B/s under a 64 KiB/s limit`)
  t.like((await status(sb)).uplink, { limit: '64 KiB/s', limitBytesPerSecond: 65536 })
  await sleep(3000) // a progress line every 5 s when stdout is not a terminal
  t.is((await cli(['limit', 'off', '--config', sb.configFile])).code, 0)
  t.true(await until(() => existsSync(join(sb.lower, 'big.bin')), 10_000), 'done soon after the limit went off')
  const r = await flushing
  t.is(r.code, 0, r.stderr)
  t.regex(r.stdout, /^1 entries, [\d.]+ MiB left, [\d.]+ KiB\/s \(limit 64 KiB\/s\), ETA \d+(s|m\d\ds)$/m)
  t.is(statSync(join(sb.lower, 'big.bin')).size, 3 << 20)
})

test('a timetable in the config sets the limit; status shows the next change', async (t) => {
  // every day: paused from 00:00, unlimited from 00:01, and so on: whatever the time, some entry is next
  const entries = Array.from({ length: 24 }, (_, h) => `${String(h).padStart(2, '0')}:00,${h % 2 ? '1M' : '2M'}`).join(' ')
  const { sb } = await daemon(t, { bandwidth: entries })
  const s = await status(sb)
  const hour = new Date().getHours()
  t.is(s.uplink.limit, hour % 2 ? '1 MiB/s' : '2 MiB/s')
  t.is(s.uplink.source, 'timetable')
  t.is(s.uplink.next.limit, hour % 2 ? '2 MiB/s' : '1 MiB/s')
  const next = new Date(s.uplink.next.at)
  t.is(next.getMinutes(), 0)
  t.true(next.getTime() > Date.now() && next.getTime() - Date.now() <= 3600_000)
  writeFileSync(join(sb.union, 'x.txt'), 'x')
  t.true(await until(() => existsSync(join(sb.lower, 'x.txt')), 10_000))
})

test('on_stop_seconds: a stop publishes what is pending; without it a stop cuts a slow copy short and loses nothing', async (t) => {
  const { sb, d } = await daemon(t, { onStopSeconds: 20, settleSeconds: 1 })
  writeFileSync(join(sb.union, 'last-minute.txt'), 'saved on the way out')
  d.p.kill('SIGTERM')
  t.is(await d.exited, 0, d.log())
  t.regex(d.log(), /stopping: publishing what is pending for at most \d+ s/)
  t.is(readFileSync(join(sb.lower, 'last-minute.txt'), 'utf8'), 'saved on the way out')

  const slow = await daemon(t, { bandwidth: '16k' })
  writeFileSync(join(slow.sb.union, 'slow.bin'), Buffer.alloc(1 << 20, 2))
  t.true(await until(() => tempBytes(slow.sb) > 0, 10_000), 'the copy started')
  const asked = performance.now()
  slow.d.p.kill('SIGTERM')
  t.is(await slow.d.exited, 0, slow.d.log())
  t.true(performance.now() - asked < 5000, 'a stop does not wait for a slow copy')
  t.is(tempBytes(slow.sb), 0, 'its temporary is removed')
  t.false(existsSync(join(slow.sb.lower, 'slow.bin')))
  t.is(statSync(join(slow.sb.upper, 'slow.bin')).size, 1 << 20, 'still cached')
  // published after the next start
  t.is((await cli(['limit', 'off', '--config', slow.sb.configFile])).code, 0)
  slow.start()
  t.true(await until(() => existsSync(join(slow.sb.lower, 'slow.bin')), 20_000), 'published after a restart')
})

test('on_stop_seconds gives the agent unit a stop timeout that allows for it; the default unit keeps systemd\'s', async (t) => {
  const { agentUnits } = await import('../../src/agent/service/units.ts')
  const paths = { upper: '/data/writecache/upper', work: '/data/writecache/work', lower: '/gfs/gv0', union: '/gfs/union' }
  const svc = (extra: object) => agentUnits({ ...paths, ...extra })[2].content
  t.regex(svc({ onStopSeconds: 120 }), /^TimeoutStopSec=150$/m)
  t.notRegex(svc({ onStopSeconds: 0 }), /TimeoutStopSec/)
  t.notRegex(svc({}), /TimeoutStopSec/)
})

test('under a limit, evict and prepare reclaim what is published and leave the drain to the daemon: the union is not kept down', async (t) => {
  const sb = await sandbox(t, { bandwidth: '16k' })
  const { evictCycle, prepare } = await import('../../src/agent/offline/evict.ts')
  const agent = await sb.agent()
  writeFileSync(join(sb.union, 'big.bin'), Buffer.alloc(4 << 20, 3))
  await sleep(300)
  const began = performance.now()
  const r = await evictCycle(agent)
  t.true(r.ok, r.message)
  // a drain of 4 MiB at 16 KiB/s would take 256 s
  t.true(performance.now() - began < 60_000, `evict took ${Math.round(performance.now() - began)} ms`)
  t.false(existsSync(join(sb.lower, 'big.bin')))
  t.is(statSync(join(sb.upper, 'big.bin')).size, 4 << 20, 'still cached')
  t.is(statSync(join(sb.union, 'big.bin')).size, 4 << 20, 'union mounted again with the file')
  sb.umount()
  const p = await prepare(agent)
  t.is(p.published, 0)
  t.regex(p.problem ?? '', /1 entries not published yet/)
  t.is(statSync(join(sb.upper, 'big.bin')).size, 4 << 20)
  // lifted: prepare publishes and reclaims as before
  agent.uplink.setOverride('off')
  const q = await prepare(agent)
  t.is(q.published, 1)
  t.is(statSync(join(sb.lower, 'big.bin')).size, 4 << 20)
  t.false(existsSync(join(sb.upper, 'big.bin')), 'reclaimed')
})

test('limit with a bad value: exit 2, what to write, nothing changed', async (t) => {
  const sb = await sandbox(t)
  const r = await cli(['limit', '0', '--config', sb.configFile])
  t.is(r.code, 2)
  t.regex(r.stderr, /limit: "0": a limit of 0 is ambiguous: write off \(unlimited\) or pause \(publish nothing\)/)
  t.false(existsSync(join(sb.cfg.stateDir, 'limit.json')))
  const shown = await cli(['limit', '--config', sb.configFile])
  t.is(shown.stdout.trim(), 'upload limit: off (timetable)')
  // without a daemon the override is kept for the next start
  t.is((await cli(['limit', 'pause', '--config', sb.configFile])).code, 0)
  t.regex(readFileSync(join(sb.cfg.stateDir, 'limit.json'), 'utf8'), /"limit":"pause"/)
})
