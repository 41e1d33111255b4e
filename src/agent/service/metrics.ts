// Prometheus text metrics for node_exporter's textfile collector, written atomically.
import { writeFileAtomic } from '../fs/atomic-write.ts'
import { activeErrors } from '../health/verdict.ts'
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
  metric('gfs_writecache_union_lower_brick', 'gauge', "Whether the union's lower layer is this host's brick (union_lower brick).", s.unionLower?.lower === 'brick' ? 1 : 0)
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
  if (s.publishDurations) {
    const name = 'gfs_writecache_publish_duration_seconds'
    out.push(
      `# HELP ${name} Time each publish took (rate of the sum: publishes in flight on average).`,
      `# TYPE ${name} summary`,
      `${name}_sum{host="${host}"} ${s.publishDurations.seconds}`,
      `${name}_count{host="${host}"} ${s.publishDurations.count}`,
    )
  }
  // the limit in force: 0 = unlimited, -1 = paused, else bytes per second
  metric('gfs_writecache_upload_limit_bytes_per_second', 'gauge', 'Upload limit into gv0 in force (0 unlimited, -1 paused).', s.uplink.limitBytesPerSecond)
  metric('gfs_writecache_drain_bytes_per_second', 'gauge', 'Bytes copied into gv0 per second over the last 10 s.', s.uplink.drainBytesPerSecond)
  metric('gfs_writecache_errors_total', 'counter', 'Errors since the agent started.', s.errorsTotal)
  metric('gfs_writecache_active_errors', 'gauge', 'Unresolved errors.', activeErrors(s))
  metric('gfs_writecache_conflicts_total', 'counter', 'Conflicts kept and reported.', s.conflicts)
  metric('gfs_writecache_evictions_total', 'counter', 'Evict cycles completed.', s.evictions)
  metric('gfs_writecache_cache_used_percent', 'gauge', 'Cache disk use.', s.cache.usedPercent)
  metric('gfs_writecache_cache_high_watermark_percent', 'gauge', 'Evict above this cache use.', s.cache.highWatermarkPercent)
  metric('gfs_writecache_cache_low_watermark_percent', 'gauge', 'Evict target cache use.', s.cache.lowWatermarkPercent)
  if (s.health) metric('gfs_writecache_health_state', 'gauge', 'Verdict of the status thresholds: 0 ok, 1 warning, 2 critical.', s.health.code)
  const g = s.gluster
  if (g) {
    metric('gfs_writecache_gluster_up', 'gauge', "Whether gluster's CLI answered the last health check.", g.problem ? 0 : 1)
    metric('gfs_writecache_gluster_check_timestamp_seconds', 'gauge', 'Time of the last gluster health check.', Date.parse(g.checkedAt) / 1000)
    // without an answer the counts are left out rather than guessed (alerts use absent() or gluster_up)
    if (!g.problem) {
      metric('gfs_writecache_gluster_peers_connected', 'gauge', 'Gluster peers this host sees connected.', g.peersConnected ?? 0)
      metric('gfs_writecache_gluster_peers', 'gauge', 'Gluster peers this host knows.', g.peersTotal ?? 0)
      metric('gfs_writecache_gluster_bricks_online', 'gauge', "Bricks of the volume this host's client reaches.", g.bricksOnline ?? 0)
      metric('gfs_writecache_gluster_bricks', 'gauge', 'Bricks of the volume.', g.bricksTotal ?? 0)
      metric('gfs_writecache_gluster_heal_pending_entries', 'gauge', 'Entries in the bricks\' heal indices.', g.healPending ?? 0)
      metric('gfs_writecache_gluster_split_brain_entries', 'gauge', 'Entries in split brain.', g.splitBrain ?? 0)
      metric('gfs_writecache_gv0_writable', 'gauge', 'Whether client quorum lets gv0 take writes from this host.', g.writable ? 1 : 0)
    }
  }
  return out.join('\n') + '\n'
}

/** Writes the metrics file so the collector never reads half of it. */
export function writeMetrics(file: string, s: StatusReport): void {
  writeFileAtomic(file, renderMetrics(s), { durable: false })
}
