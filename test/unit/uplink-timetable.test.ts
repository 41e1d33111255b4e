// flush.bandwidth: the grammar, and which limit a timetable sets when (host local time).
import test from 'ava'
import { BandwidthError, formatLimit, parseBandwidth, parseLimit, scheduledAt, PAUSED, UNLIMITED } from '../../src/agent/uplink/timetable.ts'

// 2026-11-30 is a Monday; local-time Dates, as the agent evaluates them
const at = (day: number, hh: number, mm = 0) => new Date(2026, 10, 29 + day, hh, mm)
const SUN = 0
const MON = 1
const FRI = 5
const SAT = 6
const K = 1024
const M = 1024 * 1024

test('rates: suffixes are bytes per second, binary, and a bare number is KiB/s as in rclone', (t) => {
  t.is(parseLimit('512k'), 512 * K)
  t.is(parseLimit('2M'), 2 * M)
  t.is(parseLimit('1.5M'), 1.5 * M)
  t.is(parseLimit('256'), 256 * K)
  t.is(parseLimit('4096B'), 4096)
  t.is(parseLimit('1G'), 1024 * M)
  t.is(parseLimit('2MiB/s'), 2 * M)
  t.is(parseLimit('off'), UNLIMITED)
  t.is(parseLimit('OFF'), UNLIMITED)
  t.is(parseLimit('pause'), PAUSED)
  t.is(formatLimit(512 * K), '512 KiB/s')
  t.is(formatLimit(1.5 * M), '1.5 MiB/s')
  t.is(formatLimit(UNLIMITED), 'off')
  t.is(formatLimit(PAUSED), 'pause')
})

test('bad rates say what to write', (t) => {
  t.regex(t.throws(() => parseLimit('0'), { instanceOf: BandwidthError }).message, /ambiguous: write off .* or pause/)
  t.regex(t.throws(() => parseLimit('2X'), { instanceOf: BandwidthError }).message, /"2X" is not a limit: expected a rate .* like 512k/)
  t.regex(t.throws(() => parseLimit('100B'), { instanceOf: BandwidthError }).message, /smallest limit is 1k/)
  t.throws(() => parseLimit('-1M'), { instanceOf: BandwidthError })
  t.throws(() => parseLimit('2 M'), { instanceOf: BandwidthError })
})

test('a plain limit holds all week and never changes', (t) => {
  const b = parseBandwidth('2M')
  for (const d of [SUN, MON, SAT]) t.deepEqual(scheduledAt(b, at(d, 13, 37)), { limit: 2 * M, next: null })
  t.deepEqual(scheduledAt(parseBandwidth('pause'), at(MON, 0)), { limit: PAUSED, next: null })
})

test('daily entries switch at their times and wrap around midnight', (t) => {
  const b = parseBandwidth('08:00,512k 19:00,2M 23:30,off')
  t.is(scheduledAt(b, at(MON, 8, 0)).limit, 512 * K)
  t.is(scheduledAt(b, at(MON, 18, 59)).limit, 512 * K)
  t.is(scheduledAt(b, at(MON, 19, 0)).limit, 2 * M)
  t.is(scheduledAt(b, at(MON, 23, 30)).limit, UNLIMITED)
  // after midnight the last entry of the day before still holds, until 08:00
  const night = scheduledAt(b, at(MON, 3, 0))
  t.is(night.limit, UNLIMITED)
  t.deepEqual(night.next, { at: at(MON, 8, 0), limit: 512 * K })
  t.deepEqual(scheduledAt(b, at(MON, 23, 45)).next, { at: at(MON + 1, 8, 0), limit: 512 * K })
})

test('a day entry replaces the daily one at its time; the week wraps from Saturday to Sunday', (t) => {
  const b = parseBandwidth('08:00,512k 19:00,2M 23:30,off Sat-00:00,off Sat-08:00,off')
  t.is(scheduledAt(b, at(FRI, 20)).limit, 2 * M)
  t.is(scheduledAt(b, at(SAT, 12)).limit, UNLIMITED, 'Saturday 08:00 is off, not the daily 512k')
  // Saturday's 19:00 and 23:30 entries still apply (daily), and Sunday 08:00 is the next change from Saturday night
  t.is(scheduledAt(b, at(SAT, 19, 30)).limit, 2 * M)
  t.deepEqual(scheduledAt(b, at(SAT, 23, 40)).next, { at: at(SAT + 1, 8, 0), limit: 512 * K })
  const weekly = parseBandwidth('Mon-09:00,1M Fri-17:00,off')
  // Sunday is before the week's first entry: the last one (Friday's) holds, until Monday
  t.deepEqual(scheduledAt(weekly, at(SUN, 12)), { limit: UNLIMITED, next: { at: at(MON, 9), limit: M } })
  t.deepEqual(scheduledAt(weekly, at(MON, 10)), { limit: M, next: { at: at(FRI, 17), limit: UNLIMITED } })
})

test('next change skips entries that keep the same limit', (t) => {
  const b = parseBandwidth('08:00,1M 12:00,1M 18:00,pause')
  t.deepEqual(scheduledAt(b, at(MON, 9)).next, { at: at(MON, 18), limit: PAUSED })
  t.deepEqual(scheduledAt(parseBandwidth('08:00,1M 18:00,1M'), at(MON, 9)).next, null)
})

test('bad timetables name the entry and what to write', (t) => {
  const bad: [string, RegExp][] = [
    ['', /empty: expected/],
    ['08:00,512k 25:00,off', /entry 2 "25:00,off": "25:00" is not a time of day: hours 00-23/],
    ['08:00,512k 19:60,off', /entry 2 .*minutes 00-59/],
    ['08:00 19:00,2M', /entry 1 "08:00": expected \[Day-\]HH:MM,LIMIT/],
    ['Sam-08:00,1M 09:00,2M', /entry 1 .*"Sam" is not a day: expected Mon, Tue/],
    ['8h,1M 09:00,2M', /entry 1 .*"8h" is not a time: expected HH:MM or Day-HH:MM/],
    ['08:00,1M 19:00,fast', /entry 2 "19:00,fast": "fast" is not a limit/],
    ['08:00,1M 08:00,2M', /entry 2 "08:00,2M": entry 1 "08:00,1M" already sets that time; keep one of them/],
    ['Sat-08:00,1M Saturday-08:00,2M', /entry 2 .*already sets that time/],
    ['08:00,0', /entry 1 .*ambiguous/],
  ]
  for (const [text, message] of bad) t.regex(t.throws(() => parseBandwidth(text), { instanceOf: BandwidthError }).message, message, text)
  t.is(parseBandwidth('Saturday-08:00,1M').entries[0].day, SAT)
})
