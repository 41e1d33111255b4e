// From a host's layered variables to its Settings, with the checks that need more than one variable.
import type { FlushSettings, HealthThresholds, HostRole, Settings } from './types.ts'
import { defaultRole, defaultSettings, pathKeys, type LocatedMap } from './schema.ts'
import { isWithin } from './paths.ts'
import { errorAt, type VarSet } from './vars.ts'
import type { Origin } from './yaml-source.ts'
import { dirname } from 'node:path'

/** Where a Settings value came from, by YAML name (flush settings as flush.<name>); absent for defaults. */
export type SettingOrigins = Map<string, Origin>

function value<T>(vars: VarSet, key: string, fallback: T): T {
  const found = vars.get(key)
  return found === undefined ? fallback : (found.value as T)
}

/** The host's Settings: its variables over the defaults (src/agent/service/defaults.ts), and where each came from. */
export function buildSettings(vars: VarSet): { settings: Settings; role: HostRole; origins: SettingOrigins } {
  const origins: SettingOrigins = new Map()
  for (const [key, found] of vars) origins.set(key, found.origin)
  const flush = vars.get('flush')?.value as LocatedMap<number | string> | undefined
  const flushSettings: FlushSettings = { ...defaultSettings.flush, ...(flush?.values as Partial<FlushSettings>) }
  for (const [field, origin] of Object.entries(flush?.origins ?? {})) if (origin) origins.set(`flush.${field}`, origin)
  const health = vars.get('health')?.value as LocatedMap<number | string> | undefined
  const healthSettings = { ...defaultSettings.health, ...(health?.values as Partial<HealthThresholds>) }
  for (const [field, origin] of Object.entries(health?.origins ?? {})) if (origin) origins.set(`health.${field}`, origin)
  const gluster = vars.get('gluster_options')?.value as LocatedMap<string> | undefined
  const settings: Settings = {
    volume: value(vars, 'volume', defaultSettings.volume),
    brick: value(vars, 'brick', defaultSettings.brick),
    brickForce: value(vars, 'brick_force', defaultSettings.brickForce),
    dataDisk: value(vars, 'data_disk', defaultSettings.dataDisk),
    gv0Mount: value(vars, 'gv0_mount', defaultSettings.gv0Mount),
    unionMount: value(vars, 'union_mount', defaultSettings.unionMount),
    cacheUpper: value(vars, 'cache_upper', defaultSettings.cacheUpper),
    cacheWork: value(vars, 'cache_work', defaultSettings.cacheWork),
    glusterOptions: { ...(gluster?.values as Record<string, string> | undefined) },
    splitBrainPolicy: value(vars, 'split_brain_policy', defaultSettings.splitBrainPolicy),
    tls: value(vars, 'tls', defaultSettings.tls),
    flush: flushSettings,
    metricsFile: value(vars, 'metrics_file', defaultSettings.metricsFile),
    health: healthSettings,
    unionLower: value(vars, 'union_lower', defaultSettings.unionLower),
  }
  return { settings, role: value(vars, 'role', defaultRole), origins }
}

// Directories that must stay apart: none equal to or inside another. Earlier names are blamed first.
const separateDirs = ['cache_upper', 'cache_work', 'brick', 'union_mount', 'gv0_mount'] as const
const fieldOf = pathKeys as Record<string, keyof Settings>

/** Refuse settings that each look fine but cannot work together (watermarks, nested directories). */
export function checkSettings(settings: Settings, origins: SettingOrigins, fallback: Origin): void {
  const at = (...keys: string[]): Origin => keys.map((key) => origins.get(key)).find(Boolean) ?? fallback
  const { highWatermarkPercent: high, lowWatermarkPercent: low } = settings.flush
  if (low >= high) {
    if (origins.has('flush.lowWatermarkPercent') || !origins.has('flush.highWatermarkPercent')) {
      throw errorAt(at('flush.lowWatermarkPercent'), `expected a percent below high_watermark_percent (${high}), got ${low}`)
    }
    throw errorAt(at('flush.highWatermarkPercent'), `expected a percent above low_watermark_percent (${low}), got ${high}`)
  }
  for (const [warning, critical, yamlWarning, yamlCritical] of [
    ['pendingAgeWarningSeconds', 'pendingAgeCriticalSeconds', 'pending_age_warning_seconds', 'pending_age_critical_seconds'],
    ['errorsWarning', 'errorsCritical', 'errors_warning', 'errors_critical'],
  ] as const) {
    const w = settings.health[warning]
    const c = settings.health[critical]
    if (w > 0 && c > 0 && w > c) {
      if (origins.has(`health.${warning}`)) throw errorAt(at(`health.${warning}`), `expected at most ${yamlCritical} (${c}), got ${w}`)
      throw errorAt(at(`health.${critical}`), `expected at least ${yamlWarning} (${w}) or 0 (off), got ${c}`)
    }
  }
  for (const [i, a] of separateDirs.entries()) {
    for (const b of separateDirs.slice(i + 1)) {
      const pathA = settings[fieldOf[a]!] as string
      const pathB = settings[fieldOf[b]!] as string
      if (!isWithin(pathA, pathB) && !isWithin(pathB, pathA)) continue
      // Blame the one the user wrote; when both were written, the one listed first.
      const [key, path, other, otherPath] = origins.has(a) || !origins.has(b) ? [a, pathA, b, pathB] : [b, pathB, a, pathA]
      const relation = path === otherPath ? 'different from' : isWithin(path, otherPath) ? 'outside' : 'not containing'
      throw errorAt(at(key), `expected a directory ${relation} ${other} (${otherPath}), got ${JSON.stringify(path)}`)
    }
  }
  if (dirname(settings.cacheWork) !== dirname(settings.cacheUpper)) {
    const [key, parentOf] = origins.has('cache_work') || !origins.has('cache_upper') ? ['cache_work', 'cache_upper'] : ['cache_upper', 'cache_work']
    const other = key === 'cache_work' ? settings.cacheUpper : settings.cacheWork
    const own = key === 'cache_work' ? settings.cacheWork : settings.cacheUpper
    throw errorAt(at(key), `expected a directory beside ${parentOf} (in ${dirname(other)}, overlayfs needs upper and work on one file system), got ${JSON.stringify(own)}`)
  }
}
