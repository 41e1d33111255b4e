// From the agent's report to one Nagios verdict: 0 ok, 1 warning, 2 critical, 3 unknown.
import type { HealthLevel, HealthThresholds } from '../service/defaults.ts'
import type { GlusterHealth } from './gluster.ts'

export type HealthState = 'ok' | 'warning' | 'critical' | 'unknown'

export const exitCodes: Record<HealthState, number> = { ok: 0, warning: 1, critical: 2, unknown: 3 }

export interface HealthReason {
  level: 'warning' | 'critical'
  message: string
}

export interface HealthVerdict {
  state: HealthState
  code: number
  reasons: HealthReason[]
}

/** The parts of the status report the verdict reads. */
export interface HealthInput {
  running: boolean
  union: { path: string; mounted: boolean }
  lower: { path: string; problem: string | null }
  pending: { oldestAgeSeconds: number | null }
  errors: unknown[]
  errorsActive?: number
  gluster?: GlusterHealth | null
}

/** Unresolved errors: all of them, not only the newest the report lists. */
export function activeErrors(s: Pick<HealthInput, 'errors' | 'errorsActive'>): number {
  return Math.max(s.errorsActive ?? 0, s.errors.length)
}

const rank = { ok: 0, warning: 1, critical: 2 } as const

/** Evaluates the thresholds; every condition met is named, the worst one sets the state. */
export function evaluateHealth(s: HealthInput, t: HealthThresholds): HealthVerdict {
  const reasons: HealthReason[] = []
  const at = (level: HealthLevel, message: string) => {
    if (level !== 'ignore') reasons.push({ level, message })
  }
  const over = (value: number, warning: number, critical: number, message: (limit: number) => string) => {
    if (critical > 0 && value >= critical) reasons.push({ level: 'critical', message: message(critical) })
    else if (warning > 0 && value >= warning) reasons.push({ level: 'warning', message: message(warning) })
  }
  if (!s.running) at(t.agentDown, 'flush agent not running (systemctl status gfs-writecache)')
  if (!s.union.mounted) at(t.unionUnmounted, `union ${s.union.path} not mounted: writes land on the root disk`)
  if (s.lower.problem) at(t.gv0ReadOnly, `gv0: ${s.lower.problem}`)
  const g = s.gluster
  if (g?.problem) at(t.glusterDegraded, `gluster: ${g.problem}`)
  else if (g) {
    if (g.writable === false) {
      at(t.gv0ReadOnly, `gv0 read-only: ${g.bricksOnline} of ${g.bricksTotal} bricks reachable, too few for quorum`)
    } else if ((g.bricksOnline ?? 0) < (g.bricksTotal ?? 0)) {
      at(t.glusterDegraded, `${g.bricksOnline} of ${g.bricksTotal} bricks reachable`)
    }
    if ((g.peersConnected ?? 0) < (g.peersTotal ?? 0)) at(t.glusterDegraded, `${g.peersConnected} of ${g.peersTotal} gluster peers connected`)
    if ((g.splitBrain ?? 0) > 0) at(t.splitBrain, `${g.splitBrain} entries in split brain (gluster volume heal VOLUME info split-brain)`)
    if ((g.healPending ?? 0) > 0) at(t.glusterDegraded, `${g.healPending} entries pending heal`)
  }
  const age = s.pending.oldestAgeSeconds
  if (age !== null) {
    over(age, t.pendingAgeWarningSeconds, t.pendingAgeCriticalSeconds, (limit) => `oldest unpublished change ${Math.round(age)} s old (threshold ${limit} s)`)
  }
  const errors = activeErrors(s)
  over(errors, t.errorsWarning, t.errorsCritical, (limit) => `${errors} unresolved errors (threshold ${limit})`)
  const state = reasons.reduce<'ok' | 'warning' | 'critical'>((worst, r) => (rank[r.level] > rank[worst] ? r.level : worst), 'ok')
  reasons.sort((a, b) => rank[b.level] - rank[a.level])
  return { state, code: exitCodes[state], reasons }
}

/** The verdict when the agent's state cannot be read at all. */
export function unknownVerdict(message: string): HealthVerdict {
  return { state: 'unknown', code: exitCodes.unknown, reasons: [{ level: 'critical', message }] }
}

/** Nagios' first line: `OK`, or the state and every reason. */
export function formatVerdict(v: HealthVerdict): string {
  const head = v.state.toUpperCase()
  return v.reasons.length ? `${head}: ${v.reasons.map((r) => r.message).join('; ')}` : head
}
