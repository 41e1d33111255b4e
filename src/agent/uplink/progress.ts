// Progress and ETA as `flush --wait`, the flush playbook and status print them.
import { PAUSED, UNLIMITED, formatLimit, type Limit } from './timetable.ts'

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024
    i++
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`
}

/** 45s, 3m02s, 1h05m, 2d03h. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
  return `${Math.floor(s / 86400)}d${String(Math.floor((s % 86400) / 3600)).padStart(2, '0')}h`
}

/**
 * Seconds until `bytes` are drained: at the measured rate while it drains, else at the limit; null when
 * nothing says (unlimited and idle) or never (paused).
 */
export function etaSeconds(bytes: number, drainRate: number, limit: Limit): number | null {
  if (bytes === 0) return 0
  if (limit === PAUSED) return null
  const rate = drainRate > 0 ? (limit === UNLIMITED ? drainRate : Math.min(drainRate, limit)) : limit
  return Number.isFinite(rate) && rate > 0 ? bytes / rate : null
}

export interface Progress {
  entries: number
  bytes: number
  drainBytesPerSecond: number
  limitBytesPerSecond: Limit
}

/** One line: `12 entries, 30.5 MiB left, 250.0 KiB/s (limit 256 KiB/s), ETA 2m05s`. */
export function formatProgress(p: Progress): string {
  const eta = etaSeconds(p.bytes, p.drainBytesPerSecond, p.limitBytesPerSecond)
  const limit = p.limitBytesPerSecond === UNLIMITED ? '' : ` (limit ${formatLimit(p.limitBytesPerSecond)})`
  const when = p.limitBytesPerSecond === PAUSED ? 'paused' : eta === null ? 'ETA unknown' : `ETA ${formatDuration(eta)}`
  return `${p.entries} entries, ${formatBytes(p.bytes)} left, ${formatBytes(Math.round(p.drainBytesPerSecond))}/s${limit}, ${when}`
}

/** The limit back from its metric form (0 unlimited, -1 paused). */
export function limitFromMetric(n: number): Limit {
  return n === 0 ? UNLIMITED : n < 0 ? PAUSED : n
}
