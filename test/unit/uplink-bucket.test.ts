// The token bucket and the uplink on a virtual clock: rates hold, live changes apply, pause and stop release waiters.
import test from 'ava'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { HeldError, TokenBucket, type BucketClock } from '../../src/agent/uplink/token-bucket.ts'
import { Uplink } from '../../src/agent/uplink/uplink.ts'
import { parseBandwidth, PAUSED, UNLIMITED, type Limit } from '../../src/agent/uplink/timetable.ts'
import { etaSeconds, formatDuration, formatProgress } from '../../src/agent/uplink/progress.ts'
import { DrainMeter } from '../../src/agent/uplink/drain-meter.ts'

/** Virtual time: sleeping advances it at once, so a minute of draining takes no real time. */
function virtualClock(): BucketClock & { t: number } {
  const c = {
    t: 1000,
    now: () => c.t,
    sleep: async (ms: number) => {
      c.t += ms
    },
  }
  return c
}

const K = 1024

test('a bucket holds its rate over many chunks, also with concurrent takers', async (t) => {
  const clock = virtualClock()
  const bucket = new TokenBucket(clock)
  const rate = 256 * K
  const start = clock.t
  const chunk = TokenBucket.burst(rate)
  await Promise.all([0, 1, 2].map(async () => {
    for (let i = 0; i < 100; i++) await bucket.take(chunk, () => rate, () => null)
  }))
  const seconds = (clock.t - start) / 1000
  const achieved = (300 * chunk) / seconds
  t.true(Math.abs(achieved - rate) / rate < 0.02, `achieved ${achieved} B/s for a limit of ${rate}`)
})

test('a chunk larger than the burst leaves debt, so the average still holds', async (t) => {
  const clock = virtualClock()
  const bucket = new TokenBucket(clock)
  const start = clock.t
  for (let i = 0; i < 20; i++) await bucket.take(1 << 20, () => 512 * K, () => null)
  const achieved = (20 << 20) / ((clock.t - start) / 1000)
  t.true(Math.abs(achieved - 512 * K) / (512 * K) < 0.06, `achieved ${achieved}`)
})

test('a rate change applies to a taker already waiting', async (t) => {
  const clock = virtualClock()
  const bucket = new TokenBucket(clock)
  let rate: Limit = 1 * K
  // at 1 KiB/s the second 100 KiB chunk would wait 100 s; the limit goes off after 1 s of waiting
  await bucket.take(100 * K, () => rate, () => null)
  const started = clock.t
  const waiting = bucket.take(100 * K, () => {
    if (clock.t - started > 1000) rate = UNLIMITED
    return rate
  }, () => null)
  await waiting
  t.true(clock.t - started < 2500, `waited ${clock.t - started} ms`)
})

test('an unlimited bucket never waits; a held one throws its reason', async (t) => {
  const clock = virtualClock()
  const bucket = new TokenBucket(clock)
  for (let i = 0; i < 1000; i++) await bucket.take(1 << 20, () => UNLIMITED, () => null)
  t.is(clock.t, 1000)
  await t.throwsAsync(bucket.take(10, () => PAUSED, () => 'publishing paused'), { instanceOf: HeldError, message: 'publishing paused' })
})

test('uplink: limit overrides until the timetable next changes, --clear returns to it, and a restart keeps it', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gfs-uplink-'))
  let wall = new Date(2026, 10, 30, 10, 0).getTime() // Monday 10:00
  const bw = parseBandwidth('08:00,512k 19:00,2M')
  const u = new Uplink(bw, dir, () => wall, virtualClock())
  t.is(u.report(0).limit, '512 KiB/s')
  t.is(u.report(0).source, 'timetable')
  t.is(u.report(0).next?.limit, '2 MiB/s')
  u.setOverride('pause')
  t.is(u.limit(), PAUSED)
  t.regex(u.heldReason() ?? '', /publishing paused \(gfs-writecache limit pause until /)
  t.like(u.report(5000), { limit: 'pause', limitBytesPerSecond: -1, source: 'limit command', etaSeconds: null })
  t.is(u.report(0).next?.at, new Date(2026, 10, 30, 19, 0).toISOString())
  // a restarted agent reads it back from the state dir
  const again = new Uplink(bw, dir, () => wall, virtualClock())
  t.is(again.limit(), PAUSED)
  wall = new Date(2026, 10, 30, 19, 0).getTime()
  t.is(again.limit(), 2 * K * K, 'the timetable takes over at its next change')
  t.is(again.report(0).source, 'timetable')
  again.setOverride('1M')
  again.setOverride(null)
  t.is(again.limit(), 2 * K * K)
  const plain = new Uplink(parseBandwidth('off'), null, () => wall, virtualClock())
  plain.setOverride('256k')
  wall += 30 * 86400_000
  t.is(plain.limit(), 256 * K, 'a plain limit has no next change: the override lasts until --clear')
  t.like(plain.report(0), { limitBytesPerSecond: 256 * K, next: null })
})

test('uplink: flush --now lifts pause and limit while it runs; stop releases waiters', async (t) => {
  const clock = virtualClock()
  const u = new Uplink(parseBandwidth('pause'), null, Date.now, clock)
  await t.throwsAsync(u.take(10), { instanceOf: HeldError })
  await u.unlimited(async () => {
    t.is(u.heldReason(), null)
    t.is(u.report(0).source, 'flush --now')
    await u.take(10 << 20)
  })
  t.is(u.limit(), PAUSED)
  const limited = new Uplink(parseBandwidth('1k'), null, Date.now, clock)
  const waiting = limited.take(1 << 20)
  limited.stop()
  await t.throwsAsync(waiting, { instanceOf: HeldError, message: 'agent stopping' })
})

test('progress and ETA formatting', (t) => {
  t.is(formatDuration(0), '0s')
  t.is(formatDuration(45.4), '45s')
  t.is(formatDuration(122), '2m02s')
  t.is(formatDuration(3900), '1h05m')
  t.is(formatDuration(2 * 86400 + 3 * 3600 + 59), '2d03h')
  t.is(etaSeconds(0, 0, PAUSED), 0)
  t.is(etaSeconds(1000, 0, PAUSED), null)
  t.is(etaSeconds(1000, 0, UNLIMITED), null)
  t.is(etaSeconds(1000, 0, 100), 10, 'idle: at the limit')
  t.is(etaSeconds(1000, 50, 100), 20, 'draining: at the measured rate')
  t.is(etaSeconds(1000, 500, 100), 10, 'never faster than the limit')
  t.is(
    formatProgress({ entries: 12, bytes: 30 * K * K, drainBytesPerSecond: 256 * K, limitBytesPerSecond: 256 * K }),
    '12 entries, 30.0 MiB left, 256.0 KiB/s (limit 256 KiB/s), ETA 2m00s',
  )
  t.is(formatProgress({ entries: 3, bytes: 300, drainBytesPerSecond: 0, limitBytesPerSecond: PAUSED }), '3 entries, 300 B left, 0 B/s (limit pause), paused')
  t.is(formatProgress({ entries: 3, bytes: 300, drainBytesPerSecond: 0, limitBytesPerSecond: UNLIMITED }), '3 entries, 300 B left, 0 B/s, ETA unknown')
})

test('the drain meter counts the last ten seconds', (t) => {
  let now = 0
  const m = new DrainMeter(() => now)
  t.is(m.bytesPerSecond(), 0)
  for (let s = 0; s < 20; s++) {
    now = s * 1000
    m.add(1000)
  }
  t.true(Math.abs(m.bytesPerSecond() - 1000) < 120, String(m.bytesPerSecond()))
  now += 30_000
  t.is(m.bytesPerSecond(), 0)
})

test('uplink: bytes of a copy in progress count as drained for progress and ETA until the copy ends', async (t) => {
  const clock = virtualClock()
  const u = new Uplink(parseBandwidth('1M'), null, Date.now, clock)
  await u.take(256 * K)
  await u.take(256 * K)
  const r = u.report(2048 * K)
  t.is(r.copiedBytes, 512 * K)
  t.is(r.drainBytesPerSecond, 512 * K, 'the meter spans at least one second')
  t.is(r.etaSeconds, 3, '1.5 MiB left at the measured 512 KiB/s')
  u.copyEnded(512 * K)
  t.is(u.report(2048 * K).copiedBytes, 0)
  t.is(u.report(100).copiedBytes, 0)
})
