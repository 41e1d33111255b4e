// Our own variables: their YAML names, defaults (from src/agent/service/defaults.ts) and the check of each written value.
import { isScalar } from 'yaml'
import type { Node } from 'yaml'
import type { FlushSettings, HealthThresholds, HostRole, Settings } from './types.ts'
import { describe, mapEntries, type MapEntry, type Origin, type YamlSource } from './yaml-source.ts'
import { normalizeRemotePath } from './paths.ts'
import { didYouMean } from './suggest.ts'
import { agentDefaults, flushDefaults, healthDefaults, layoutDefaults, MAX_DRAIN_MOUNTS } from '../agent/service/defaults.ts'
import { BandwidthError, parseBandwidth } from '../agent/uplink/timetable.ts'

/** The defaults a host gets for every variable the inventory leaves out. */
export const defaultSettings: Readonly<Settings> = Object.freeze({
  volume: layoutDefaults.volume,
  brick: layoutDefaults.brick,
  brickForce: false,
  dataDisk: layoutDefaults.dataDisk,
  gv0Mount: layoutDefaults.gv0Mount,
  unionMount: layoutDefaults.unionMount,
  cacheUpper: layoutDefaults.cacheUpper,
  cacheWork: layoutDefaults.cacheWork,
  glusterOptions: {},
  splitBrainPolicy: 'none',
  tls: true,
  flush: { ...flushDefaults },
  metricsFile: agentDefaults.metricsFile,
  health: { ...healthDefaults },
  unionLower: agentDefaults.unionLower,
})

export const defaultRole: HostRole = 'storage'

/** YAML name of each path variable and its Settings field. */
export const pathKeys = {
  brick: 'brick',
  data_disk: 'dataDisk',
  gv0_mount: 'gv0Mount',
  union_mount: 'unionMount',
  cache_upper: 'cacheUpper',
  cache_work: 'cacheWork',
  metrics_file: 'metricsFile',
} as const satisfies Record<string, keyof Settings>

/** YAML name of each flush setting and its FlushSettings field. */
export const flushKeys = {
  settle_seconds: 'settleSeconds',
  scan_interval_seconds: 'scanIntervalSeconds',
  dentry_drop_seconds: 'dentryDropSeconds',
  high_watermark_percent: 'highWatermarkPercent',
  low_watermark_percent: 'lowWatermarkPercent',
  bandwidth: 'bandwidth',
  on_stop_seconds: 'onStopSeconds',
  drain_mounts: 'drainMounts',
} as const satisfies Record<string, keyof FlushSettings>

/** YAML name of each health threshold and its HealthThresholds field. */
export const healthKeys = {
  pending_age_warning_seconds: 'pendingAgeWarningSeconds',
  pending_age_critical_seconds: 'pendingAgeCriticalSeconds',
  errors_warning: 'errorsWarning',
  errors_critical: 'errorsCritical',
  agent_down: 'agentDown',
  union_unmounted: 'unionUnmounted',
  gv0_read_only: 'gv0ReadOnly',
  split_brain: 'splitBrain',
  gluster_degraded: 'glusterDegraded',
} as const satisfies Record<string, keyof HealthThresholds>

export const healthLevels = ['critical', 'warning', 'ignore'] as const

export const splitBrainPolicies = ['none', 'latest-mtime', 'bigger-file'] as const
export const roles = ['storage', 'arbiter'] as const
export const unionLowers = ['gv0', 'brick'] as const

/** Per-host variables of ours, as written in YAML. */
export const settingKeys = [
  'volume',
  ...Object.keys(pathKeys),
  'brick_force',
  'gluster_options',
  'split_brain_policy',
  'tls',
  'flush',
  'health',
  'role',
  'union_lower',
] as const

/** Variables that describe the whole inventory: only allowed in all.vars (or group_vars/all). */
export const inventoryKeys = ['known_hosts_file', 'trust_new_host_keys'] as const

/** A map variable whose entries each remember where they were written (for cross-checks). */
export interface LocatedMap<T> {
  values: Partial<Record<string, T>>
  origins: Partial<Record<string, Origin>>
}

// Names gluster's CLI refuses for a volume (cli_validate_volname).
const reservedVolumeNames = new Set([
  'volume', 'type', 'subvolumes', 'option', 'end-volume', 'all', 'volume_not_in_ring', 'description',
  'force', 'snap-max-hard-limit', 'snap-max-soft-limit', 'auto-delete', 'activate-on-create',
])

function scalar(node: Node | null): unknown {
  return isScalar(node) ? node.value : undefined
}

function fail(src: YamlSource, entry: MapEntry, expected: string): never {
  throw src.error(entry.value, entry.path, `expected ${expected}, got ${describe(entry.value)}`, entry.keyNode)
}

/** A string scalar; numbers are accepted where a name may be all digits. */
export function readString(src: YamlSource, entry: MapEntry, expected: string, numbers = false): string {
  const value = scalar(entry.value)
  if (isScalar(entry.value) && entry.value.tag === '!vault') {
    throw src.error(entry.value, entry.path, 'expected a plain value: Ansible Vault values are not supported, write the value or leave the key out')
  }
  if (typeof value === 'string' && value.length > 0) return value
  if (numbers && typeof value === 'number') return String(value)
  return fail(src, entry, expected)
}

/** A YAML boolean (YAML 1.1 as in Ansible, so yes/no/on/off count too). */
export function readBoolean(src: YamlSource, entry: MapEntry): boolean {
  const value = scalar(entry.value)
  if (typeof value === 'boolean') return value
  return fail(src, entry, 'true or false')
}

function readRemotePath(src: YamlSource, entry: MapEntry): string {
  const value = readString(src, entry, 'an absolute path')
  if (!value.startsWith('/') || /[\0\n]/.test(value)) return fail(src, entry, 'an absolute path')
  const path = normalizeRemotePath(value)
  if (path === '/') return fail(src, entry, 'an absolute path below /')
  return path
}

function readVolume(src: YamlSource, entry: MapEntry): string {
  const expected = 'a gluster volume name (letters, digits, - and _, at most 32 characters, not starting with -)'
  const value = readString(src, entry, expected, true)
  if (!/^[A-Za-z0-9_][A-Za-z0-9_-]{0,31}$/.test(value)) return fail(src, entry, expected)
  if (reservedVolumeNames.has(value)) return fail(src, entry, `a gluster volume name that gluster does not reserve`)
  return value
}

function readChoice<T extends string>(src: YamlSource, entry: MapEntry, choices: readonly T[]): T {
  const value = scalar(entry.value)
  if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T
  return fail(src, entry, `one of ${choices.join(', ')}`)
}

function readNumber(src: YamlSource, entry: MapEntry, expected: string, ok: (n: number) => boolean): number {
  const value = scalar(entry.value)
  if (typeof value === 'number' && Number.isFinite(value) && ok(value)) return value
  return fail(src, entry, expected)
}

/** `flush.bandwidth`: a limit or a timetable, checked with the agent's own grammar. YAML 1.1 reads a bare off as false. */
function readBandwidth(src: YamlSource, entry: MapEntry): string {
  const value = scalar(entry.value)
  const text = value === false ? 'off' : typeof value === 'number' ? String(value) : typeof value === 'string' ? value : null
  if (text === null) return fail(src, entry, 'a rate like 512k or 2M, off, pause, or a timetable like "08:00,512k 19:00,2M 23:30,off"')
  try {
    parseBandwidth(text)
  } catch (err) {
    if (!(err instanceof BandwidthError)) throw err
    throw src.error(entry.value, entry.path, `bandwidth ${JSON.stringify(text)}: ${err.message}`, entry.keyNode)
  }
  return text
}

function readFlush(src: YamlSource, entry: MapEntry): LocatedMap<number | string> {
  const result: LocatedMap<number | string> = { values: {}, origins: {} }
  for (const item of mapEntries(src, entry.value, entry.path, 'a mapping of flush settings', entry.keyNode)) {
    const field = (flushKeys as Record<string, keyof FlushSettings>)[item.key]
    if (!field) {
      throw src.error(item.keyNode, item.path, `unknown flush setting, expected one of ${Object.keys(flushKeys).join(', ')}${didYouMean(item.key, Object.keys(flushKeys))}`)
    }
    result.values[field] = item.key === 'bandwidth'
      ? readBandwidth(src, item)
      : item.key === 'drain_mounts'
      ? readNumber(src, item, `a whole number of mounts from 0 to ${MAX_DRAIN_MOUNTS}`, (n) => Number.isInteger(n) && n >= 0 && n <= MAX_DRAIN_MOUNTS)
      : item.key.endsWith('_percent')
      ? readNumber(src, item, 'a whole number of percent from 1 to 99', (n) => Number.isInteger(n) && n >= 1 && n <= 99)
      : item.key === 'settle_seconds' || item.key === 'on_stop_seconds'
        ? readNumber(src, item, 'a number of seconds, 0 or more', (n) => n >= 0)
        : readNumber(src, item, 'a number of seconds greater than 0', (n) => n > 0)
    result.origins[field] = src.origin(item.value ?? item.keyNode, item.path)
  }
  return result
}

function readHealth(src: YamlSource, entry: MapEntry): LocatedMap<number | string> {
  const result: LocatedMap<number | string> = { values: {}, origins: {} }
  for (const item of mapEntries(src, entry.value, entry.path, 'a mapping of health thresholds', entry.keyNode)) {
    const field = (healthKeys as Record<string, keyof HealthThresholds>)[item.key]
    if (!field) {
      throw src.error(item.keyNode, item.path, `unknown health setting, expected one of ${Object.keys(healthKeys).join(', ')}${didYouMean(item.key, Object.keys(healthKeys))}`)
    }
    result.values[field] = item.key.endsWith('_seconds')
      ? readNumber(src, item, 'a number of seconds, 0 (off) or more', (n) => n >= 0)
      : item.key.startsWith('errors_')
        ? readNumber(src, item, 'a whole number of errors, 0 (off) or more', (n) => Number.isInteger(n) && n >= 0)
        : readChoice(src, item, healthLevels)
    result.origins[field] = src.origin(item.value ?? item.keyNode, item.path)
  }
  return result
}

function readGlusterOptions(src: YamlSource, entry: MapEntry): LocatedMap<string> {
  const result: LocatedMap<string> = { values: {}, origins: {} }
  for (const item of mapEntries(src, entry.value, entry.path, 'a mapping of gluster option names to values', entry.keyNode)) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)+$/.test(item.key)) {
      throw src.error(item.keyNode, item.path, 'expected a gluster option name like performance.cache-size')
    }
    const value = scalar(item.value)
    let text: string
    if (typeof value === 'boolean') text = value ? 'on' : 'off'
    else if (typeof value === 'number' && Number.isFinite(value)) text = String(value)
    else if (typeof value === 'string' && value.length > 0 && !/[\0\n]/.test(value)) text = value
    else return fail(src, item, 'a string, number or boolean on one line')
    result.values[item.key] = text
    result.origins[item.key] = src.origin(item.value, item.path)
  }
  return result
}

/** Check one of our per-host variables as written; returns the value in the form the merge keeps. */
export function readSetting(src: YamlSource, entry: MapEntry): unknown {
  switch (entry.key) {
    case 'volume':
      return readVolume(src, entry)
    case 'brick_force':
    case 'tls':
      return readBoolean(src, entry)
    case 'gluster_options':
      return readGlusterOptions(src, entry)
    case 'split_brain_policy':
      return readChoice(src, entry, splitBrainPolicies)
    case 'flush':
      return readFlush(src, entry)
    case 'health':
      return readHealth(src, entry)
    case 'role':
      return readChoice(src, entry, roles)
    case 'union_lower':
      return readChoice(src, entry, unionLowers)
    default:
      if (entry.key in pathKeys) return readRemotePath(src, entry)
      throw new Error(`not a setting: ${entry.key}`)
  }
}

