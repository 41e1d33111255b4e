// The `health` object of the agent's config: the thresholds behind `status`'s exit code.
import { healthDefaults, type HealthLevel, type HealthThresholds } from '../service/defaults.ts'

export const healthLevels: readonly HealthLevel[] = ['critical', 'warning', 'ignore']

const NUMBERS = ['pendingAgeWarningSeconds', 'pendingAgeCriticalSeconds', 'errorsWarning', 'errorsCritical'] as const
const LEVELS = ['agentDown', 'unionUnmounted', 'gv0ReadOnly', 'splitBrain', 'glusterDegraded'] as const

/** Validates the config's `health` object over the defaults; problems are pushed as `health.key: ...`. */
export function parseHealthThresholds(raw: unknown, problems: string[]): HealthThresholds {
  const out: HealthThresholds = { ...healthDefaults }
  if (raw === undefined) return out
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push('health: expected an object of thresholds')
    return out
  }
  const input = raw as Record<string, unknown>
  const known = new Set<string>([...NUMBERS, ...LEVELS])
  for (const key of Object.keys(input)) if (!known.has(key)) problems.push(`health.${key}: unknown key`)
  for (const key of NUMBERS) {
    if (!(key in input)) continue
    const v = input[key]
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) problems.push(`health.${key}: expected a number >= 0 (0: off)`)
    else out[key] = v
  }
  for (const key of LEVELS) {
    if (!(key in input)) continue
    const v = input[key]
    if (typeof v !== 'string' || !(healthLevels as readonly string[]).includes(v)) problems.push(`health.${key}: expected one of ${healthLevels.join(', ')}`)
    else out[key] = v as HealthLevel
  }
  const pairs = [
    ['pendingAgeWarningSeconds', 'pendingAgeCriticalSeconds'],
    ['errorsWarning', 'errorsCritical'],
  ] as const
  for (const [warning, critical] of pairs) {
    if (out[warning] > 0 && out[critical] > 0 && out[warning] > out[critical]) {
      problems.push(`health.${warning}: expected at most ${critical} (${out[critical]}), got ${out[warning]}`)
    }
  }
  return out
}
