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
  // each is a gluster client process (about 22 MB) with its own kernel directory locks: publishes into one
  // directory scale with their number (docs/drain.md)
  drainMounts: 16,
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
})
