// Prometheus text metrics for node_exporter's textfile collector, written atomically.
import { writeFileAtomic } from '../fs/atomic-write.ts'
import type { StatusReport } from './status.ts'

/** Renders the status as Prometheus exposition text. */
export function renderMetrics(s: StatusReport): string {
  const host = s.host.replace(/["\\\n]/g, '_')
  const out: string[] = []
  const metric = (name: string, type: 'gauge' | 'counter', help: string, value: number) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name}{host="${host}"} ${Number.isFinite(value) ? value : 0}`)
  }
  metric('gfs_writecache_up', 'gauge', 'Whether the flush agent is running.', s.running ? 1 : 0)
  metric('gfs_writecache_union_mounted', 'gauge', 'Whether the overlay union is mounted.', s.union.mounted ? 1 : 0)
  metric('gfs_writecache_lower_ok', 'gauge', 'Whether gv0 accepts writes.', s.lower.problem ? 0 : 1)
  if (s.drainMounts) {
    metric('gfs_writecache_drain_mounts_wanted', 'gauge', 'gv0 mounts the agent should publish through.', s.drainMounts.wanted)
    metric('gfs_writecache_drain_mounts_usable', 'gauge', 'gv0 mounts the agent publishes through now.', s.drainMounts.usable)
  }
  metric('gfs_writecache_pending_entries', 'gauge', 'Upper entries not yet published.', s.pending.entries)
  metric('gfs_writecache_pending_bytes', 'gauge', 'Bytes of regular files not yet published.', s.pending.bytes)
  metric('gfs_writecache_oldest_pending_age_seconds', 'gauge', 'Age of the oldest unpublished change.', s.pending.oldestAgeSeconds ?? 0)
  metric(
    'gfs_writecache_last_publish_timestamp_seconds',
    'gauge',
    'Time of the last publish.',
    s.lastPublish ? Date.parse(s.lastPublish) / 1000 : 0,
  )
  metric('gfs_writecache_published_entries_total', 'counter', 'Entries published into gv0.', s.publishedTotal)
  metric('gfs_writecache_published_bytes_total', 'counter', 'Bytes published into gv0.', s.publishedBytesTotal)
  metric('gfs_writecache_publish_rate_bytes_per_second', 'gauge', 'Recent publish rate.', s.publishRateBytesPerSecond)
  metric('gfs_writecache_errors_total', 'counter', 'Errors since the agent started.', s.errorsTotal)
  metric('gfs_writecache_active_errors', 'gauge', 'Unresolved errors.', s.errors.length)
  metric('gfs_writecache_conflicts_total', 'counter', 'Conflicts kept and reported.', s.conflicts)
  metric('gfs_writecache_evictions_total', 'counter', 'Evict cycles completed.', s.evictions)
  metric('gfs_writecache_cache_used_percent', 'gauge', 'Cache disk use.', s.cache.usedPercent)
  metric('gfs_writecache_cache_high_watermark_percent', 'gauge', 'Evict above this cache use.', s.cache.highWatermarkPercent)
  metric('gfs_writecache_cache_low_watermark_percent', 'gauge', 'Evict target cache use.', s.cache.lowWatermarkPercent)
  return out.join('\n') + '\n'
}

/** Writes the metrics file so the collector never reads half of it. */
export function writeMetrics(file: string, s: StatusReport): void {
  writeFileAtomic(file, renderMetrics(s), { durable: false })
}
