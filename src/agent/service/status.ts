// The agent's report (flush contract 8): one JSON shape for `status --json`, metrics and text.

export interface StatusReport {
  version: string
  host: string
  running: boolean
  union: { path: string; mounted: boolean }
  lower: { path: string; problem: string | null }
  /** the agent's own gv0 mounts (docs/drain.md); optional: reports of older agents lack it */
  drainMounts?: { wanted: number; usable: number; problems: { path: string; problem: string }[] }
  pending: { entries: number; bytes: number; oldestAgeSeconds: number | null }
  lastPublish: string | null
  publishedTotal: number
  publishedBytesTotal: number
  publishRateBytesPerSecond: number
  errors: { time: string; message: string }[]
  errorsTotal: number
  conflicts: number
  evictions: number
  cache: { usedPercent: number; highWatermarkPercent: number; lowWatermarkPercent: number }
}

function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024
    i++
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`
}

function drainLines(s: StatusReport): string[] {
  const d = s.drainMounts
  if (!d || d.wanted === 0) return []
  const head = `drain mounts: ${d.usable} of ${d.wanted} in use` + (d.usable === 0 ? ` (publishing through ${s.lower.path})` : '')
  return [head, ...d.problems.map((p) => `  ${p.path}: ${p.problem}`)]
}

/** Human-readable status for `gfs-writecache status`. */
export function formatStatus(s: StatusReport): string {
  const lines = [
    `gfs-writecache ${s.version} on ${s.host}: ${s.running ? 'agent running' : 'agent not running'}`,
    `union ${s.union.path}: ${s.union.mounted ? 'mounted' : 'NOT mounted'}`,
    `gv0 ${s.lower.path}: ${s.lower.problem ?? 'ok'}`,
    ...drainLines(s),
    `pending: ${s.pending.entries} entries, ${bytes(s.pending.bytes)}` +
      (s.pending.oldestAgeSeconds === null ? '' : `, oldest ${s.pending.oldestAgeSeconds.toFixed(0)} s`),
    `published: ${s.publishedTotal} entries, ${bytes(s.publishedBytesTotal)}, last ${s.lastPublish ?? 'never'}, ` +
      `rate ${bytes(s.publishRateBytesPerSecond)}/s`,
    `cache disk: ${s.cache.usedPercent.toFixed(1)}% used (evict above ${s.cache.highWatermarkPercent}%, ` +
      `down to ${s.cache.lowWatermarkPercent}%)`,
    `conflicts: ${s.conflicts}${s.conflicts ? ' (gfs-writecache conflicts)' : ''}`,
  ]
  if (s.errors.length) {
    lines.push(`errors (${s.errors.length}):`)
    for (const e of s.errors) lines.push(`  ${e.time} ${e.message}`)
  } else lines.push('errors: none')
  return lines.join('\n')
}
