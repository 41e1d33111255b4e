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
}

/** The flush settings a host gets when the inventory leaves them out (README, "Variables"). */
export const flushDefaults: Readonly<FlushSettings> = Object.freeze({
  settleSeconds: 5,
  scanIntervalSeconds: 60,
  dentryDropSeconds: 10,
  highWatermarkPercent: 90,
  lowWatermarkPercent: 70,
})

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
  publishConcurrency: 8,
  dropCachesFile: '/proc/sys/vm/drop_caches',
  /** the overlay's lower layer: the gv0 FUSE mount, or this host's brick while it is current (README, "union_lower") */
  unionLower: 'gv0' as 'gv0' | 'brick',
  /** brick mode: where the chosen lower is bind-mounted read-only (tmpfs, so a boot starts without it) */
  lowerBind: '/run/gfs-writecache-lower',
  /** brick mode: how often the daemon checks the brick is still current */
  brickCheckSeconds: 15,
})
