// A task reads facts, plans, then applies: planning is pure, so check mode and diff come for free.
import type { Host, Inventory } from '../inventory/types.ts'
import type { Command } from './command.ts'
import type { Result } from './result.ts'

/** One remote command whose output is parsed into a value; cached per host by its script. */
export interface Fact<T> {
  name: string
  command: Command
  parse(result: Result): T
}

export type FactValues<F> = { [K in keyof F]: F[K] extends Fact<infer T> ? T : never }

/** A before/after pair shown with --diff. */
export interface Diff {
  path: string
  before: string
  after: string
}

/** One change a plan makes: a summary for the report, the commands that make it. */
export interface Change {
  summary: string
  commands: Command[]
  diff?: Diff
}

export interface Plan {
  changes: Change[]
  /** why nothing needs to change (shown with --verbose) */
  reason?: string
  /** structured findings for --json (status checks) */
  data?: unknown
  /** nothing to change, but something the user should (shown always, and in --json) */
  warning?: string
}

export interface TaskContext {
  host: Host
  inventory: Inventory
  /** every host of the inventory (the cluster), in inventory order, even those left out by --limit */
  hosts: Host[]
  check: boolean
}

/** Either a plan or a refusal to act because the state is unsafe (the host fails with this message). */
export type PlanResult = Plan | { refuse: string; data?: unknown }

export interface Task<F extends Record<string, Fact<unknown>> = Record<string, Fact<unknown>>> {
  name: string
  tags?: string[]
  /** run on the first host only (cluster-wide actions such as creating the volume) */
  runOnce?: boolean
  /** false or a reason string: the task is skipped on this host */
  when?(ctx: TaskContext): boolean | string
  facts?(ctx: TaskContext): F
  plan(facts: FactValues<F>, ctx: TaskContext): PlanResult
  /** handlers to run at the end of the play when this task changed something */
  notify?: string[]
  /** re-read facts until plan reports nothing to change; for waiting on peers, heals, mounts */
  wait?: {
    attempts: number
    delayMs: number
    progress?(facts: FactValues<F>): string
    /**
     * Wait as long as these amounts (work left, e.g. entries pending heal, free bytes on the bricks) keep
     * going down: give up only after `stalledMs` without a new low in any of them, however many attempts
     * that takes (`attempts` is then ignored).
     */
    remaining?(facts: FactValues<F>): number[]
    stalledMs?: number
  }
}

/** A task argument given as it is, or computed per host. */
export type Value<T> = T | ((ctx: TaskContext) => T)

/** The value of a task argument on this host. */
export function valueOn<T>(value: Value<T>, ctx: TaskContext): T {
  return typeof value === 'function' ? (value as (ctx: TaskContext) => T)(ctx) : value
}

/** A task that runs once at the end of a play, when notified. */
export interface Handler {
  name: string
  task: Task
}

export interface Playbook {
  name: string
  description: string
  tasks: Task[]
  handlers?: Handler[]
  /** a failed task does not stop the host's later tasks (health checks) */
  keepGoing?: boolean
  /** a host that fails or cannot be reached stops the play on every host (Ansible's any_errors_fatal) */
  anyErrorsFatal?: boolean
  /** show why unchanged tasks are ok without --verbose (health checks) */
  showReasons?: boolean
  /** the hosts this playbook runs on (default: all) */
  hosts?(inventory: Inventory): Host[]
  /** command-line switches this playbook takes (e.g. teardown's --delete-volume) */
  switches?: string[]
  /** the playbook for the switches given on the command line */
  configure?(switches: Record<string, boolean>): Playbook
}

/** Define a task with its facts' types inferred for plan(). */
export function task<F extends Record<string, Fact<unknown>>>(definition: Task<F>): Task {
  return definition as unknown as Task
}

/** Define a fact: one command and its parser. */
export function fact<T>(name: string, command: Command, parse: (result: Result) => T): Fact<T> {
  return { name, command, parse }
}

/** A plan that changes nothing, and a warning about what the user should change themselves. */
export function warn(reason: string, warning: string): Plan {
  return { changes: [], reason, warning }
}

/** A plan that changes nothing, with the reason. */
export function noop(reason: string, data?: unknown): Plan {
  return data === undefined ? { changes: [], reason } : { changes: [], reason, data }
}

/** A plan made of changes. */
export function changes(...list: (Change | false | undefined)[]): Plan {
  return { changes: list.filter((c): c is Change => Boolean(c)) }
}

/** A change from a summary and its commands. */
export function change(summary: string, ...commands: Command[]): Change {
  return { summary, commands }
}

/** Refuse to act: the host fails with this explanation, nothing is changed. */
export function refuse(message: string, data?: unknown): { refuse: string; data?: unknown } {
  return data === undefined ? { refuse: message } : { refuse: message, data }
}

/** The changes that are not false, or a noop with the reason when there are none. */
export function changesOr(reason: string, ...list: (Change | false | undefined)[]): Plan {
  const plan = changes(...list)
  return plan.changes.length ? plan : noop(reason)
}
