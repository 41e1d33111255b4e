// Typed events from the runner; formatters turn them into terminal lines or JSON Lines.

export type TaskStatus = 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable'

export interface HostTally {
  ok: number
  changed: number
  failed: number
  skipped: number
  unreachable: boolean
}

export type EngineEvent =
  | { type: 'play:start'; playbook: string; hosts: string[]; check: boolean }
  | { type: 'task:start'; task: string; handler?: boolean }
  | { type: 'cmd'; host: string; task: string; command: string; exitCode: number; durationMs: number; stderr?: string }
  | { type: 'progress'; host: string; task: string; message: string }
  | {
      type: 'task:end'
      host: string
      task: string
      status: TaskStatus
      message?: string
      changes?: string[]
      diffs?: { path: string; before: string; after: string }[]
      /** structured findings of health checks */
      data?: unknown
      /** what the user should change themselves; the task itself is ok */
      warning?: string
      durationMs: number
    }
  | { type: 'recap'; hosts: Record<string, HostTally>; durationMs: number }

export type Sink = (event: EngineEvent) => void

/** A sink that keeps every event, for tests. */
export function collect(): { sink: Sink; events: EngineEvent[] } {
  const events: EngineEvent[] = []
  return { sink: (e) => events.push(e), events }
}
