// The status report as `status` and the metrics file give it: the agent's state, gluster's last check, the verdict.
import type { AgentConfig } from '../service/config.ts'
import type { Log } from '../service/log.ts'
import type { StatusReport } from '../service/status.ts'
import type { GlusterHealth } from './gluster.ts'
import { evaluateHealth } from './verdict.ts'

/** Adds gluster's last check and the thresholds' verdict to the agent's report. */
export function withHealth(report: StatusReport, cfg: Pick<AgentConfig, 'health'>, gluster: GlusterHealth | null): StatusReport {
  const withGluster = { ...report, gluster }
  return { ...withGluster, health: evaluateHealth(withGluster, cfg.health) }
}

function summary(h: GlusterHealth | null): string {
  if (!h) return ''
  if (h.problem) return `gluster did not answer: ${h.problem}`
  const bad = [
    h.writable ? '' : `gv0 read-only (${h.bricksOnline} of ${h.bricksTotal} bricks reachable)`,
    h.writable && (h.bricksOnline ?? 0) < (h.bricksTotal ?? 0) ? `${h.bricksOnline} of ${h.bricksTotal} bricks reachable` : '',
    (h.peersConnected ?? 0) < (h.peersTotal ?? 0) ? `${h.peersConnected} of ${h.peersTotal} peers connected` : '',
    h.splitBrain ? `${h.splitBrain} entries in split brain` : '',
  ].filter(Boolean)
  return bad.join(', ')
}

/** Logs a change of gluster's health once, as a warning when it got worse and a notice when it is fine again. */
export function logGlusterChange(log: Log, now: GlusterHealth, before: GlusterHealth | null): void {
  const was = summary(before)
  const is = summary(now)
  if (is === was) return
  if (is) log(`gluster: ${is}`, 'warning')
  else log('gluster: all peers connected, all bricks reachable, gv0 writable', 'notice')
}
