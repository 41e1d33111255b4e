// `flush.bandwidth`: a plain upload limit or an rclone-style timetable of them, parsed and evaluated
// in the host's local time. Part of the agent bundle and of the inventory check, so one grammar.

/** Bytes per second; Infinity = unlimited (`off`), 0 = publish nothing (`pause`). */
export type Limit = number

export const UNLIMITED: Limit = Infinity
export const PAUSED: Limit = 0

/** One timetable entry; `day` null means every day (0 = Sunday, as Date.getDay). */
export interface TimetableEntry {
  day: number | null
  minute: number
  limit: Limit
}

export interface Bandwidth {
  /** as written, for messages */
  text: string
  /** a plain limit is one entry at Sunday 00:00 that never changes */
  entries: TimetableEntry[]
  plain: boolean
}

/** A bandwidth value the grammar refuses; the message says what to write instead. */
export class BandwidthError extends Error {
  override name = 'BandwidthError'
}

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']
const UNITS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }
const WEEK = 7 * 1440
const RATE_HINT = 'a rate in bytes per second like 512k, 2M or 1.5M (a bare number is KiB/s, as in rclone), off (unlimited) or pause (publish nothing)'

/** Parses one limit: `512k`, `2M`, `off`, `pause`. */
export function parseLimit(text: string): Limit {
  const t = text.trim().toLowerCase()
  if (t === 'off' || t === 'unlimited') return UNLIMITED
  if (t === 'pause') return PAUSED
  const m = /^(\d+(?:\.\d+)?)([bkmg])?(?:i?b)?(?:\/s)?$/.exec(t)
  if (!m) throw new BandwidthError(`"${text}" is not a limit: expected ${RATE_HINT}`)
  const bytes = Number(m[1]) * UNITS[m[2] ?? 'k']
  if (bytes === 0) throw new BandwidthError(`"${text}": a limit of 0 is ambiguous: write off (unlimited) or pause (publish nothing)`)
  if (bytes < 1024) throw new BandwidthError(`"${text}": the smallest limit is 1k (1 KiB/s); write pause to publish nothing`)
  return Math.round(bytes)
}

/** The limit as users write it back: `off`, `pause`, `512 KiB/s`. */
export function formatLimit(l: Limit): string {
  if (l === UNLIMITED) return 'off'
  if (l === PAUSED) return 'pause'
  const units = ['B', 'KiB', 'MiB', 'GiB']
  let n = l
  let i = 0
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024
    i++
  }
  return `${Number.isInteger(n) ? n : n.toFixed(1)} ${units[i]}/s`
}

function parseEntry(token: string, n: number): TimetableEntry {
  const where = `entry ${n} "${token}"`
  const comma = token.indexOf(',')
  if (comma < 0) throw new BandwidthError(`${where}: expected [Day-]HH:MM,LIMIT, e.g. 08:00,512k or Sat-00:00,off`)
  const when = token.slice(0, comma)
  const m = /^(?:([A-Za-z]+)-)?(\d{1,2}):(\d{2})$/.exec(when)
  if (!m) throw new BandwidthError(`${where}: "${when}" is not a time: expected HH:MM or Day-HH:MM (Mon, Tue, Wed, Thu, Fri, Sat, Sun)`)
  let day: number | null = null
  if (m[1] !== undefined) {
    day = DAYS.indexOf(m[1].slice(0, 3).toLowerCase())
    const full = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday']
    if (day < 0 || !(m[1].length === 3 || full[day] === m[1].toLowerCase())) {
      throw new BandwidthError(`${where}: "${m[1]}" is not a day: expected Mon, Tue, Wed, Thu, Fri, Sat or Sun`)
    }
  }
  const hour = Number(m[2])
  const minute = Number(m[3])
  if (hour > 23 || minute > 59) throw new BandwidthError(`${where}: "${when}" is not a time of day: hours 00-23, minutes 00-59`)
  let limit: Limit
  try {
    limit = parseLimit(token.slice(comma + 1))
  } catch (err) {
    throw new BandwidthError(`${where}: ${(err as Error).message}`)
  }
  return { day, minute: hour * 60 + minute, limit }
}

/**
 * Parses `flush.bandwidth`: one limit (`2M`), or entries `[Day-]HH:MM,LIMIT` separated by spaces. An
 * entry without a day applies every day; one with a day replaces the daily entry at that same time.
 */
export function parseBandwidth(text: string): Bandwidth {
  const tokens = text.trim().split(/\s+/).filter(Boolean)
  if (tokens.length === 0) throw new BandwidthError(`empty: expected ${RATE_HINT}, or a timetable like "08:00,512k 19:00,2M 23:30,off"`)
  if (tokens.length === 1 && !tokens[0].includes(',')) {
    return { text, plain: true, entries: [{ day: 0, minute: 0, limit: parseLimit(tokens[0]) }] }
  }
  const entries = tokens.map((t, i) => parseEntry(t, i + 1))
  const seen = new Map<string, number>()
  entries.forEach((e, i) => {
    const key = `${e.day ?? '*'}@${e.minute}`
    const before = seen.get(key)
    if (before !== undefined) {
      throw new BandwidthError(`entry ${i + 1} "${tokens[i]}": entry ${before + 1} "${tokens[before]}" already sets that time; keep one of them`)
    }
    seen.set(key, i)
  })
  return { text, plain: false, entries }
}

/** The week's switch points, sorted, in minutes since Sunday 00:00. */
function points(b: Bandwidth): { at: number; limit: Limit }[] {
  const byMinute = new Map<number, { limit: Limit; daily: boolean }>()
  for (const e of b.entries) {
    for (const d of e.day === null ? [0, 1, 2, 3, 4, 5, 6] : [e.day]) {
      const at = d * 1440 + e.minute
      const had = byMinute.get(at)
      if (!had || had.daily) byMinute.set(at, { limit: e.limit, daily: e.day === null })
    }
  }
  return [...byMinute].map(([at, p]) => ({ at, limit: p.limit })).sort((a, b) => a.at - b.at)
}

export interface Scheduled {
  limit: Limit
  /** the next time the scheduled limit changes, or null when it never does */
  next: { at: Date; limit: Limit } | null
}

/** The limit the timetable sets at `now` (local time) and its next change; before the week's first entry the last one holds. */
export function scheduledAt(b: Bandwidth, now: Date): Scheduled {
  const ps = points(b)
  const wm = now.getDay() * 1440 + now.getHours() * 60 + now.getMinutes()
  let cur = ps.length - 1
  for (let i = 0; i < ps.length; i++) if (ps[i].at <= wm) cur = i
  const limit = ps[cur].limit
  for (let k = 1; k <= ps.length; k++) {
    const p = ps[(cur + k) % ps.length]
    if (p.limit === limit) continue
    const ahead = (p.at - wm + WEEK) % WEEK || WEEK
    const at = new Date(now.getFullYear(), now.getMonth(), now.getDate(), now.getHours(), now.getMinutes() + ahead)
    return { limit, next: { at, limit: p.limit } }
  }
  return { limit, next: null }
}
