// The agent's report (flush contract 8): one JSON shape for `status --json`, metrics and text.
import type { GlusterHealth } from '../health/gluster.ts'
import { activeErrors, formatVerdict, type HealthVerdict } from '../health/verdict.ts'

import { formatBytes as bytes, formatDuration } from '../uplink/progress.ts'
import type { UplinkReport } from '../uplink/uplink.ts'

export interface StatusReport {
  version: string
  host: string
  running: boolean
  union: { path: string; mounted: boolean }
  lower: { path: string; problem: string | null }
  /** the union's lower layer: the inventory's union_lower, what is mounted and why */
  unionLower: { setting: 'gv0' | 'brick'; lower: 'gv0' | 'brick' | null; path: string; reason: string }
  /** the agent's own gv0 mounts (docs/drain.md); optional: reports of older agents lack it */
  drainMounts?: { wanted: number; usable: number; problems: { path: string; problem: string }[] }
  pending: { entries: number; bytes: number; oldestAgeSeconds: number | null }
  uplink: UplinkReport
  lastPublish: string | null
  publishedTotal: number
  publishedBytesTotal: number
  publishRateBytesPerSecond: number
  /** the publishes' durations since the agent started; optional: reports of older agents lack it */
  publishDurations?: { count: number; seconds: number }
  /** the newest 20 unresolved errors, the one that happened last at the end */
  errors: { time: string; message: string }[]
  /** how many errors are unresolved (more than `errors` lists); optional: reports of older agents lack it */
  errorsActive?: number
  errorsTotal: number
  conflicts: number
  evictions: number
  cache: { usedPercent: number; highWatermarkPercent: number; lowWatermarkPercent: number }
  /** gluster's health from the daemon's last check (absent or null before one) */
  gluster?: GlusterHealth | null
  /** the thresholds' verdict, added by `status` and the metrics writer */
  health?: HealthVerdict
  /** with `status --rescan`: the cache was walked just before (false: the agent was busy, this is its last scan) */
  rescanned?: boolean
}

function drainLines(s: StatusReport): string[] {
  const d = s.drainMounts
  if (!d || d.wanted === 0) return []
  const head = `drain mounts: ${d.usable} of ${d.wanted} in use` + (d.usable === 0 ? ` (publishing through ${s.lower.path})` : '')
  return [head, ...d.problems.map((p) => `  ${p.path}: ${p.problem}`)]
}

/** Human-readable status for `gfs-writecache status`. */
export function formatStatus(s: StatusReport): string {
  const g = s.gluster
  const gluster = !g
    ? 'not checked'
    : g.problem
      ? `no answer (${g.problem})`
      : `${g.peersConnected}/${g.peersTotal} peers connected, ${g.bricksOnline}/${g.bricksTotal} bricks reachable, ` +
        `${g.healPending} pending heals, ${g.splitBrain} in split brain, gv0 ${g.writable ? 'writable' : 'READ-ONLY'}`
  const lines = [
    ...(s.health ? [formatVerdict(s.health)] : []),
    `gfs-writecache ${s.version} on ${s.host}: ${s.running ? 'agent running' : 'agent not running'}`,
    `union ${s.union.path}: ${s.union.mounted ? 'mounted' : 'NOT mounted'}`,
    `gv0 ${s.lower.path}: ${s.lower.problem ?? 'ok'}`,
    ...(s.unionLower?.setting === 'brick'
      ? [`union lower: ${s.unionLower.lower ?? 'none'} (${s.unionLower.path}; union_lower brick): ${s.unionLower.reason}`]
      : s.unionLower
        ? [`union lower: ${s.unionLower.path}: ${s.unionLower.reason}`]
        : []),
    ...drainLines(s),
    `pending: ${s.pending.entries} entries, ${bytes(s.pending.bytes)}` +
      (s.pending.oldestAgeSeconds === null ? '' : `, oldest ${s.pending.oldestAgeSeconds.toFixed(0)} s`),
    formatUplink(s),
    `published: ${s.publishedTotal} entries, ${bytes(s.publishedBytesTotal)}, last ${s.lastPublish ?? 'never'}, ` +
      `rate ${bytes(s.publishRateBytesPerSecond)}/s`,
    `cache disk: ${s.cache.usedPercent.toFixed(1)}% used (evict above ${s.cache.highWatermarkPercent}%, ` +
      `down to ${s.cache.lowWatermarkPercent}%)`,
    `gluster: ${gluster}${g ? ` (checked ${g.checkedAt})` : ''}`,
    `conflicts: ${s.conflicts}${s.conflicts ? ' (gfs-writecache conflicts)' : ''}`,
  ]
  if (s.errors.length) {
    const active = activeErrors(s)
    lines.push(`errors (${active}${active > s.errors.length ? `, the newest ${s.errors.length} shown` : ''}):`)
    for (const e of s.errors) lines.push(`  ${e.time} ${e.message}`)
  } else lines.push('errors: none')
  return lines.join('\n')
}

/** `upload limit: 512 KiB/s (timetable), next 2 MiB/s at ...; draining 500.0 KiB/s, ETA 3m02s` */
function formatUplink(s: StatusReport): string {
  const u = s.uplink
  const next = u.next ? `, ${u.next.limit} from ${u.next.at}` : ''
  const eta = s.pending.bytes === 0 ? '' : u.etaSeconds === null ? ', ETA unknown' : `, ETA ${formatDuration(u.etaSeconds)}`
  return `upload limit: ${u.limit} (${u.source})${next}; draining ${bytes(u.drainBytesPerSecond)}/s${eta}`
}
