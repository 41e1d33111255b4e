// Runs the real CLI (npx zx provision.mjs) and reads its JSON Lines events, as a script would.
import { fileURLToPath } from 'node:url'
import type { EngineEvent, HostTally } from '../../src/engine/events.ts'
import { runProcess } from '../../src/engine/process.ts'

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url))

export interface ProvisionRun {
  exitCode: number
  events: EngineEvent[]
  recap?: { hosts: Record<string, HostTally>; durationMs: number }
  stdout: string
  stderr: string
  /** task:end events that failed, as "host task: message" lines, for assertion messages */
  failures: string[]
}

/** `npx zx provision.mjs ARGS... --json`, from the repository root. */
export async function provision(args: string[], options: { json?: boolean; timeoutMs?: number } = {}): Promise<ProvisionRun> {
  const json = options.json ?? true
  const argv = ['zx', 'provision.mjs', ...args, ...(json ? ['--json'] : [])]
  const { exitCode, stdout, stderr } = await runProcess(['npx', ...argv], {
    cwd: repoRoot,
    env: { ...process.env, FORCE_COLOR: '0' },
    timeoutMs: options.timeoutMs ?? 15 * 60_000,
  })
  const events = json
    ? stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as EngineEvent)
    : []
  const recapEvent = events.findLast((e) => e.type === 'recap')
  return {
    exitCode,
    events,
    recap: recapEvent?.type === 'recap' ? { hosts: recapEvent.hosts, durationMs: recapEvent.durationMs } : undefined,
    stdout,
    stderr: stderr.split('\n').filter((l) => !l.includes('Unknown user config')).join('\n'),
    failures: events.flatMap((e) => (e.type === 'task:end' && (e.status === 'failed' || e.status === 'unreachable') ? [`${e.host} ${e.task}: ${e.message}`] : [])),
  }
}

/** A short text of a run for assertion messages. */
export function explain(run: ProvisionRun): string {
  return `exit ${run.exitCode}\n${run.failures.join('\n')}\n${run.stderr.slice(-3000)}`
}
