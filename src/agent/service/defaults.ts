// Every default of the appliance in one place: the inventory fills each host's settings from it, the agent
// its config. Part of the agent bundle, so it imports nothing.

/** Where the agent reads its config on a host. */
export const DEFAULT_CONFIG_PATH = '/etc/gfs-writecache/config.json'

/** Flush agent settings: the inventory's `flush` variable, written to the agent's config file on each host. */
export interface FlushSettings {
  settleSeconds: number
  scanIntervalSeconds: number
  dentryDropSeconds: number
  highWatermarkPercent: number
  lowWatermarkPercent: number
  /** upload limit into gv0: a rate (`2M`), `off`, `pause`, or an rclone-style timetable (uplink/timetable.ts) */
  bandwidth: string
  /** on stop, publish what is pending for at most this long (the unit's TimeoutStopSec allows for it) */
  onStopSeconds: number
  /** extra gv0 client mounts only the agent publishes through (0: publish through gv0_mount) */
  drainMounts: number
}

/** The flush settings a host gets when the inventory leaves them out (README, "Variables"). */
export const flushDefaults: Readonly<FlushSettings> = Object.freeze({
  settleSeconds: 5,
  scanIntervalSeconds: 60,
  dentryDropSeconds: 10,
  highWatermarkPercent: 90,
  lowWatermarkPercent: 70,
  bandwidth: 'off',
  onStopSeconds: 0,
  // each is a gluster client process (about 22 MB) with its own kernel directory locks: publishes into one
  // directory scale with their number (docs/drain.md)
  drainMounts: 16,
})

/** How bad a condition is for `gfs-writecache status`'s exit code (Nagios: 1 warning, 2 critical). */
export type HealthLevel = 'critical' | 'warning' | 'ignore'

/** When `status` says warning or critical: the inventory's `health` variable (0 turns a number off). */
export interface HealthThresholds {
  pendingAgeWarningSeconds: number
  pendingAgeCriticalSeconds: number
  errorsWarning: number
  errorsCritical: number
  agentDown: HealthLevel
  unionUnmounted: HealthLevel
  gv0ReadOnly: HealthLevel
  splitBrain: HealthLevel
  glusterDegraded: HealthLevel
}

/** The thresholds a host gets when the inventory leaves them out (README, "Monitoring"). */
export const healthDefaults: Readonly<HealthThresholds> = Object.freeze({
  pendingAgeWarningSeconds: 3600,
  pendingAgeCriticalSeconds: 43200,
  errorsWarning: 1,
  errorsCritical: 0,
  agentDown: 'critical',
  unionUnmounted: 'critical',
  gv0ReadOnly: 'warning',
  splitBrain: 'critical',
  glusterDegraded: 'warning',
})

/** A gluster client each: more cost memory and connections for little gain (docs/drain.md). */
export const MAX_DRAIN_MOUNTS = 64

/** Where the volume, the mounts and the cache live on a host unless the inventory says otherwise. */
export const layoutDefaults = Object.freeze({
  volume: 'gv0',
  brick: '/data/brick1/gv0',
  dataDisk: '/data',
  gv0Mount: '/gfs/gv0',
  unionMount: '/gfs/union',
  cacheUpper: '/data/writecache/upper',
  cacheWork: '/data/writecache/work',
  /** the union's lower: gv0 read-only without quorum, so new names work while cut off (docs/cut-link.md) */
  unionLowerMount: '/run/gfs-writecache-union-lower',
  /** the agent's state, beside upper on the cache disk */
  stateDir: '/data/writecache/state',
})

/** The agent's own settings that the inventory does not set. */
export const agentDefaults = Object.freeze({
  metricsFile: '/var/lib/prometheus/node-exporter/gfs-writecache.prom',
  socket: '/run/gfs-writecache/agent.sock',
  requireLowerMount: true,
  retryMaxSeconds: 60,
  /** parallel publishes per gv0 mount the agent publishes through */
  publishConcurrency: 4,
  /** the drain mounts are DIR/1 .. DIR/N */
  drainMountDir: '/run/gfs-writecache-gv0',
  dropCachesFile: '/proc/sys/vm/drop_caches',
  /** how often the daemon asks gluster's CLI about peers, bricks and heals (0: never) */
  glusterCheckSeconds: 60,
  /** how far gv0's ctimes (the other host's clock) may be off this host's clock */
  clockSkewSeconds: 10,
  /**
   * how long a gv0 name's lock stays held after a change (name-locks.ts): longer than a gluster client caches
   * a lookup (md-cache's second plus the FUSE entry and attribute timeouts' second each)
   */
  nameLockHoldSeconds: 3,
  /** the overlay's lower layer: the gv0 FUSE mount, or this host's brick while it is current (README, "union_lower") */
  unionLower: 'gv0' as 'gv0' | 'brick',
  /** brick mode: where the chosen lower is bind-mounted read-only (tmpfs, so a boot starts without it) */
  lowerBind: '/run/gfs-writecache-lower',
  /** the union's own gv0 client ('' in a config without one: the union sits on lower itself, as before) */
  unionLowerMount: '',
  /** brick mode: how often the daemon checks the brick is still current */
  brickCheckSeconds: 15,
})
