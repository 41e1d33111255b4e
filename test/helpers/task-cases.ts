// Task tests as data: per task, cases of {facts, expected plan, facts after}. Every case that changes
// something must say what the facts are once its commands ran, and planning again on them must be a
// no-op with a reason: each task's idempotence is checked, not only where someone thought of it.
import type { ExecutionContext } from 'ava'
import type { PlanResult, Task, TaskContext } from '../../src/engine/task.ts'
import type { Host } from '../../src/inventory/types.ts'
import { host, inventory } from './hosts.ts'

export type Facts = Record<string, unknown>

export interface TaskCase {
  /** what the case shows */
  name: string
  facts: Facts
  /** plan on the host of this name (default: the first of the suite's hosts) */
  on?: string
  /** the inventory's hosts for this case (default: the suite's) */
  hosts?: Host[]
  /** the summaries of the planned changes */
  changes?: string[]
  /** the planned commands, as displayed */
  commands?: string[]
  /** the task refuses: nothing runs, so there is no `after` */
  refuse?: RegExp
  /** the task changes nothing: its reason matches this */
  reason?: RegExp
  /** facts that differ once the changes are made (merged over `facts`); the task must then be a no-op */
  after?: Facts
}

export interface TaskSuite {
  /** a task of a playbook, by name, or a task built for the suite */
  task: string | Task
  /** a handler: it acts whenever notified, so it has no facts after */
  handler?: boolean
  hosts?: Host[]
  cases: TaskCase[]
}

export interface Planned {
  refuse?: string
  changes: string[]
  commands: string[]
  reason?: string
}

/** Plan `task` on facts given as data. */
export function plan(task: Task, facts: Facts, hosts: Host[], on?: string): Planned {
  const target = on ? hosts.find((h) => h.name === on) : hosts[0]
  if (!target) throw new Error(`no host ${on} in the case's hosts`)
  const ctx: TaskContext = { host: target, hosts, inventory: inventory(hosts), check: false }
  const result: PlanResult = task.plan(facts as never, ctx)
  if ('refuse' in result) return { refuse: result.refuse, changes: [], commands: [] }
  return {
    changes: result.changes.map((c) => c.summary),
    commands: result.changes.flatMap((c) => c.commands.map((cmd) => cmd.display)),
    reason: result.reason,
  }
}

/** Check one case: the plan it expects, then (for a change) the no-op on the facts after. */
export function checkCase(t: ExecutionContext, task: Task, suite: TaskSuite, c: TaskCase): void {
  const hosts = c.hosts ?? suite.hosts ?? [host('hydra'), host('plexus')]
  const first = plan(task, c.facts, hosts, c.on)
  if (first.refuse !== undefined) {
    if (!c.refuse) return void t.fail(`refused: ${first.refuse}`)
    t.regex(first.refuse, c.refuse)
    t.is(c.after, undefined, 'a refusal runs nothing: no facts after')
    return
  }
  t.is(c.refuse, undefined, 'expected a refusal')
  if (first.changes.length === 0) {
    t.truthy(first.reason, 'a task that changes nothing says why')
    if (c.reason) t.regex(first.reason ?? '', c.reason)
    t.deepEqual(c.changes ?? [], [])
    t.is(c.after, undefined, 'nothing changed: no facts after')
    return
  }
  t.true(c.changes !== undefined || c.commands !== undefined, 'a case that changes says what it expects')
  if (c.changes) t.deepEqual(first.changes, c.changes)
  if (c.commands) t.deepEqual(first.commands, c.commands)
  if (suite.handler) return
  if (!c.after) return void t.fail('a case that changes gives the facts after its commands ran')
  const again = plan(task, { ...c.facts, ...c.after }, hosts, c.on)
  t.is(again.refuse, undefined, `refused on the facts after: ${again.refuse}`)
  t.deepEqual(again.changes, [], 'the task changes nothing once its changes are made')
  t.truthy(again.reason, 'and says why')
}
