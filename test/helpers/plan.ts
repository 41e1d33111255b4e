// Run a task's pure plan with facts given as data.
import type { PlanResult, Task, TaskContext } from '../../src/engine/task.ts'
import type { Host } from '../../src/inventory/types.ts'
import { host, inventory } from './hosts.ts'

/** Plan `task` on `on` (default hydra) with these fact values; returns summaries and the warning, or the refusal. */
export function planOf(task: Task, facts: Record<string, unknown>, options: { on?: Host; hosts?: Host[]; check?: boolean } = {}) {
  const hosts = options.hosts ?? [host('hydra'), host('plexus')]
  const ctx: TaskContext = { host: options.on ?? hosts[0]!, hosts, inventory: inventory(hosts), check: options.check ?? false }
  const result: PlanResult = task.plan(facts as never, ctx)
  if ('refuse' in result) return { refuse: result.refuse }
  return {
    changes: result.changes.map((c) => c.summary),
    commands: result.changes.flatMap((c) => c.commands.map((cmd) => cmd.display)),
    reason: result.reason,
    warning: result.warning,
  }
}
