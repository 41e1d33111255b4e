// What an arbiter host runs: glusterd and its arbiter brick only. It holds names and metadata, no file
// data, so it gets no gv0 mount, cache, union or agent (docs/arbiter.md).
import type { Task, TaskContext } from '../engine/task.ts'

/** Whether the inventory has an arbiter host (the volume is then replica 3 arbiter 1). */
export const hasArbiter = (hosts: TaskContext['hosts']): boolean => hosts.some((h) => h.role === 'arbiter')

/** The arbiter host of the inventory, if any. */
export const arbiterHost = (hosts: TaskContext['hosts']) => hosts.find((h) => h.role === 'arbiter')

/** The task on storage hosts only; skipped on an arbiter with the reason, its own `when` kept otherwise. */
export function storageOnly(t: Task): Task {
  return {
    ...t,
    when: (ctx) => (ctx.host.role === 'arbiter' ? 'arbiter host: no gv0 mount, union or agent' : (t.when?.(ctx) ?? true)),
  }
}
