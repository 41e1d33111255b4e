// The handler phase: after the last task, each handler runs once on the hosts that asked for it.
import type { HostRun } from './host-run.ts'
import type { Handler, Task } from './task.ts'

/** Runs `task` on these hosts (the first only for runOnce); false when none is left to run it. */
export type RunTask = (task: Task, hosts: HostRun[], handler: boolean) => Promise<boolean>

/** Run each handler, in order, on the hosts still running that it was notified on. */
export async function runHandlers(handlers: Handler[], hosts: HostRun[], runTask: RunTask): Promise<void> {
  for (const handler of handlers) {
    const wanted = hosts.filter((h) => h.notified.has(handler.name) && !h.stopped)
    if (wanted.length === 0) continue
    await runTask({ ...handler.task, name: handler.name }, wanted, true)
  }
}
