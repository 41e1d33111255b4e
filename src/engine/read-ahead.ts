// Which facts a host can read for the whole play in one round trip, before its first task.
// Any change on any host drops every cached fact (a probe on hydra changes plexus's peer list), so after
// the first change the tasks read their facts as they come, as they would without this.
import type { ExecCommand } from './command.ts'
import { factKey } from './fact-cache.ts'
import { batchable } from './fact-batch.ts'
import type { Fact, Task, TaskContext } from './task.ts'

/** The distinct batchable fact commands of `tasks` on this host; runOnce tasks only on the first host. */
export function readAheadCommands(tasks: Task[], ctx: TaskContext, first: boolean): ExecCommand[] {
  const commands = new Map<string, ExecCommand>()
  for (const task of tasks) {
    if (task.runOnce && !first) continue
    try {
      const skip = task.when?.(ctx)
      if (skip === false || typeof skip === 'string') continue
      for (const f of Object.values(task.facts?.(ctx) ?? {}) as Fact<unknown>[])
        if (f.command.kind === 'exec' && batchable(f.command)) commands.set(factKey(f.command), f.command)
    } catch {
      // a task whose facts cannot be listed yet reads them itself when it runs
    }
  }
  return [...commands.values()]
}
