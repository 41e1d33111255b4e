// The agent's configuration file: one JSON object, validated with messages that name the key.
import { readFileSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import { agentDefaults, DEFAULT_CONFIG_PATH, flushDefaults, layoutDefaults, MAX_DRAIN_MOUNTS, type FlushSettings, type HealthThresholds } from './defaults.ts'
import { parseHealthThresholds } from '../health/thresholds.ts'
import { BandwidthError, parseBandwidth } from '../uplink/timetable.ts'

export { DEFAULT_CONFIG_PATH }

export interface AgentConfig extends FlushSettings {
  /** host name used in conflict names and temporary names */
  host: string
  /** overlay upper dir (on the cache disk) */
  upper: string
  /** overlay work dir (same file system as upper) */
  work: string
  /** the gv0 FUSE mount, the overlay's lower dir */
  lower: string
  /** where the overlay is mounted */
  union: string
  /** agent state (on the cache disk, outside upper) */
  stateDir: string
  metricsFile: string
  socket: string
  /** refuse to publish unless lower is a mount point (protects against writing to an empty mount dir) */
  requireLowerMount: boolean
  /** longest pause between retries after an error, in seconds */
  retryMaxSeconds: number
  /** parallel publishes per gv0 mount (latency-bound links profit from more) */
  publishConcurrency: number
  /** where the drain mounts are (drainMountDir/1 .. /drainMounts) */
  drainMountDir: string
  /** drop_caches file, configurable so a container without it can point elsewhere */
  dropCachesFile: string
  /** the gluster volume mounted at lower, for the gluster health check (and brick mode's verdict) */
  volume: string
  /** seconds between gluster health checks (0: off) */
  glusterCheckSeconds: number
  /** when `status` exits 1 (warning) or 2 (critical) */
  health: HealthThresholds
  /** how far gv0's ctimes (the other host's clock) may be off this host's clock (no-clobber.ts) */
  clockSkewSeconds: number
  /** how long a gv0 name's lock stays held after a change there (name-locks.ts) */
  nameLockHoldSeconds: number
  /** the overlay's lower layer: 'gv0' (the FUSE mount) or 'brick' (this host's brick while it is current) */
  unionLower: 'gv0' | 'brick'
  /** brick mode: this host's brick directory */
  brick?: string
  /** brick mode: mount point of the read-only bind of the chosen lower */
  lowerBind: string
  /** the union's own read-only gv0 client; '' puts the union on lower itself */
  unionLowerMount: string
  brickCheckSeconds: number
}

export const CONFIG_DEFAULTS: Omit<AgentConfig, 'host' | 'upper' | 'work' | 'lower' | 'union' | 'brick'> = {
  stateDir: layoutDefaults.stateDir,
  volume: layoutDefaults.volume,
  health: parseHealthThresholds(undefined, []),
  ...flushDefaults,
  ...agentDefaults,
}

/** Thrown for a bad config file; the CLI prints the message without a stack trace. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

const PATH_KEYS = ['upper', 'work', 'lower', 'union', 'stateDir', 'metricsFile', 'socket', 'dropCachesFile', 'lowerBind', 'drainMountDir'] as const
const NUMBER_KEYS = [
  'settleSeconds',
  'scanIntervalSeconds',
  'dentryDropSeconds',
  'highWatermarkPercent',
  'lowWatermarkPercent',
  'retryMaxSeconds',
  'publishConcurrency',
  'glusterCheckSeconds',
  'onStopSeconds',
  'clockSkewSeconds',
  'nameLockHoldSeconds',
  'brickCheckSeconds',
  'drainMounts',
] as const
const KNOWN = new Set<string>(['host', 'requireLowerMount', 'volume', 'health', 'bandwidth', 'unionLower', 'brick', 'unionLowerMount', ...PATH_KEYS, ...NUMBER_KEYS])

/** Validates a parsed config object and fills defaults; every problem is reported at once. */
export function parseConfig(raw: unknown, source = 'config'): AgentConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`${source}: expected a JSON object`)
  }
  const input = raw as Record<string, unknown>
  const merged: Record<string, unknown> = { ...CONFIG_DEFAULTS, ...input }
  const problems: string[] = []
  for (const key of Object.keys(input)) if (!KNOWN.has(key)) problems.push(`${key}: unknown key`)
  const host = merged.host
  if (typeof host !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(host)) {
    problems.push('host: expected a host name (letters, digits, ".", "_", "-")')
  }
  for (const key of PATH_KEYS) {
    const v = merged[key]
    if (typeof v !== 'string' || !isAbsolute(v)) problems.push(`${key}: expected an absolute path`)
    else if (v.includes('\0')) problems.push(`${key}: must not contain NUL`)
  }
  if (merged.unionLower !== 'gv0' && merged.unionLower !== 'brick') problems.push('unionLower: expected "gv0" or "brick"')
  const ulm = merged.unionLowerMount
  if (typeof ulm !== 'string' || (ulm !== '' && !isAbsolute(ulm))) problems.push('unionLowerMount: expected an absolute path, or "" for none')
  else if (/[,:\\\n\0]/.test(ulm)) problems.push('unionLowerMount: overlay mount options cannot carry ",", ":", "\\", NUL or newlines in paths')
  if (merged.unionLower === 'brick') {
    if (typeof merged.brick !== 'string' || !isAbsolute(merged.brick)) problems.push('brick: expected an absolute path (unionLower is "brick")')
    if (typeof merged.volume !== 'string' || !/^[A-Za-z0-9_][A-Za-z0-9_-]{0,31}$/.test(merged.volume)) {
      problems.push('volume: expected a gluster volume name (unionLower is "brick")')
    }
  }
  for (const key of ['upper', 'work', 'lower', 'lowerBind', 'brick'] as const) {
    const v = merged[key]
    if (typeof v === 'string' && /[,:\\\n]/.test(v)) {
      problems.push(`${key}: overlay mount options cannot carry ",", ":", "\\" or newlines in paths`)
    }
  }
  for (const key of NUMBER_KEYS) {
    const v = merged[key]
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) problems.push(`${key}: expected a number >= 0`)
  }
  if (typeof merged.volume !== 'string' || !/^[A-Za-z0-9_][A-Za-z0-9_-]{0,31}$/.test(merged.volume)) {
    problems.push('volume: expected a gluster volume name')
  }
  merged.health = parseHealthThresholds(input.health, problems)
  if (typeof merged.bandwidth !== 'string') problems.push('bandwidth: expected a string such as "2M", "off" or "08:00,512k 19:00,off"')
  else {
    try {
      parseBandwidth(merged.bandwidth)
    } catch (err) {
      if (!(err instanceof BandwidthError)) throw err
      problems.push(`bandwidth: ${err.message}`)
    }
  }
  if (typeof merged.requireLowerMount !== 'boolean') problems.push('requireLowerMount: expected true or false')
  const hi = merged.highWatermarkPercent as number
  const lo = merged.lowWatermarkPercent as number
  if (typeof hi === 'number' && typeof lo === 'number') {
    if (hi > 100) problems.push('highWatermarkPercent: expected at most 100')
    if (lo >= hi) problems.push('lowWatermarkPercent: expected less than highWatermarkPercent')
  }
  if (typeof merged.publishConcurrency === 'number' && merged.publishConcurrency < 1) {
    problems.push('publishConcurrency: expected at least 1')
  }
  if (typeof merged.drainMounts === 'number' && !(Number.isInteger(merged.drainMounts) && merged.drainMounts <= MAX_DRAIN_MOUNTS)) {
    problems.push(`drainMounts: expected a whole number from 0 to ${MAX_DRAIN_MOUNTS}`)
  }
  if (problems.length === 0) {
    const paths = PATH_KEYS.map((k) => resolve(merged[k] as string))
    const [upper, work, lower, union, stateDir] = paths
    const inside = (a: string, b: string) => a === b || a.startsWith(b + '/')
    if (inside(stateDir, upper)) problems.push('stateDir: must not be inside upper (it would be published)')
    if (inside(work, upper) || inside(upper, work)) problems.push('work: must be beside upper, not inside it')
    if (inside(upper, lower) || inside(lower, upper)) problems.push('upper: must not overlap lower')
    if (inside(union, upper) || inside(union, lower)) problems.push('union: must not be inside upper or lower')
    const bind = paths[PATH_KEYS.indexOf('lowerBind')]
    if ([upper, work, lower, union].some((p) => inside(bind, p) || inside(p, bind))) {
      problems.push('lowerBind: must be apart from upper, work, lower and union')
    }
    const own = typeof merged.unionLowerMount !== 'string' || merged.unionLowerMount === '' ? null : resolve(String(merged.unionLowerMount))
    if (own && [upper, work, lower, union, bind].some((p) => inside(own, p) || inside(p, own))) {
      problems.push('unionLowerMount: must be apart from upper, work, lower, union and lowerBind')
    }
    const drain = paths[PATH_KEYS.indexOf('drainMountDir')]
    for (const [name, p] of [['upper', upper], ['lower', lower], ['union', union], ['stateDir', stateDir]] as const) {
      if (inside(drain, p) || inside(p, drain)) problems.push(`drainMountDir: must not overlap ${name}`)
    }
    if (merged.unionLower === 'brick') {
      const brick = resolve(merged.brick as string)
      if ([upper, work, union].some((p) => inside(brick, p) || inside(p, brick))) problems.push('brick: must be apart from upper, work and union')
    }
  }
  if (problems.length > 0) throw new ConfigError(`${source}: ${problems.join('; ')}`)
  const out = merged as unknown as AgentConfig
  for (const key of PATH_KEYS) out[key] = resolve(out[key])
  if (out.brick !== undefined) out.brick = resolve(out.brick)
  if (out.unionLowerMount) out.unionLowerMount = resolve(out.unionLowerMount)
  return out
}

/** Reads and validates the config file the CLI was pointed at. */
export function loadConfig(file: string = DEFAULT_CONFIG_PATH): AgentConfig {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError(`${file}: cannot read config (${(err as NodeJS.ErrnoException).code ?? String(err)})`)
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    throw new ConfigError(`${file}: invalid JSON (${(err as Error).message})`)
  }
  return parseConfig(raw, file)
}
