// The flush agent's own report, from `gfs-writecache status --json` on the host.
import type { StatusReport } from '../agent/service/status.ts'
import { sh } from '../engine/command.ts'
import type { Result } from '../engine/result.ts'
import { fact } from '../engine/task.ts'
import { absentMarker, commandFailed, isAbsent } from './answer.ts'

/** The fields of the agent's status report that health checks read (`lower` and `health` are absent from older agents). */
export type AgentReport = Pick<StatusReport, 'version' | 'running' | 'union' | 'pending' | 'lastPublish' | 'errors' | 'conflicts' | 'cache'> &
  Partial<Pick<StatusReport, 'lower' | 'health' | 'uplink' | 'rescanned' | 'errorsActive'>>

/** Parse the agent's JSON status; undefined when the agent is not installed. */
export function parseAgentReport(result: Result): AgentReport | undefined {
  if (isAbsent(result)) return undefined
  if (result.exitCode !== 0 || !result.stdout.trim().startsWith('{')) throw commandFailed(result)
  return JSON.parse(result.stdout) as AgentReport
}

/** The agent's state as it reports it. */
export const agentReport = () =>
  fact('flush agent status', sh`command -v gfs-writecache >/dev/null || { echo ${absentMarker}; exit 0; }; gfs-writecache status --json`, parseAgentReport)

/** What is pending, in words: entries and MiB, or, from a busy agent that counted none, what it has not counted. */
export const pendingText = (n: number, bytes: number) => (n ? `${n} entries (${(bytes / 1048576).toFixed(1)} MiB)` : 'what the busy agent has not counted yet')

/** Surely nothing to publish: none pending, counted after a walk of the cache (a busy agent could not walk it). */
export const surelyNothingPending = (r: AgentReport) => r.pending.entries === 0 && r.rescanned !== false

/**
 * The same after the agent walked its cache, so that a file written a moment ago counts as pending
 * (an agent from before `--rescan` answers from its last scan).
 */
export const agentReportRescanned = () =>
  fact(
    'flush agent status, after a scan',
    sh`command -v gfs-writecache >/dev/null || { echo ${absentMarker}; exit 0; }; gfs-writecache status --json --rescan 2>/dev/null || gfs-writecache status --json`,
    parseAgentReport,
  )
