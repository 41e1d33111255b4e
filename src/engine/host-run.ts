// One host's part of a play: its connection, its fact cache, its tally, and how it runs one task.
import type { Host, Inventory } from '../inventory/types.ts'
import type { Command } from './command.ts'
import { BecomeError, ConnectError, FactError } from './errors.ts'
import type { HostTally, Sink, TaskStatus } from './events.ts'
import type { Executor } from './executor.ts'
import { batchCommand, parseBatch, partResult } from './fact-batch.ts'
import { FactCache } from './fact-cache.ts'
import { readAheadCommands } from './read-ahead.ts'
import { failureReason, type Result } from './result.ts'
import type { Change, Fact, Task, TaskContext } from './task.ts'

/** What a host's run needs from the play it belongs to. */

// Commands run on the controller (the CA's openssl) are no SSH round trip to the host.
function isControllerCommand(command: Command): boolean {
  return command.kind === 'exec' && !!command.controller
}

export interface PlayScope {
  readonly sink: Sink
  readonly inventory: Inventory
  readonly check: boolean
  readonly diff: boolean
  /** a failed task does not stop the host's later tasks */
  readonly keepGoing: boolean
  sleep(ms: number): Promise<void>
  /** the executor for commands marked `controller` */
  controller(): Executor
  /** one more command sent to a host */
  countRoundTrip(): void
  /** a command ran on some host: every host's cached facts may be stale */
  changed(): void
}

export type Outcome = { status: TaskStatus; message?: string; changes?: Change[]; data?: unknown; warning?: string }

const notPlannable = (why: string): Outcome => ({ status: 'skipped', message: `cannot be planned before earlier changes are made (${why})` })

export class HostRun {
  readonly facts = new FactCache()
  readonly tally: HostTally = { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: false }
  /** handlers that a changed task asked for */
  readonly notified = new Set<string>()
  /** unreachable, or failed without keepGoing: no later task runs here */
  stopped = false
  /** check mode: an earlier task would have changed this host, so later facts may not hold yet */
  #wouldChange = false
  #executor?: Executor

  constructor(
    readonly host: Host,
    private readonly play: PlayScope,
  ) {}

  /** Connect; a host that cannot be reached (or where sudo says no) is recorded and stopped. */
  async connect(connect: (host: Host) => Promise<Executor>): Promise<void> {
    const t0 = performance.now()
    try {
      this.#executor = await connect(this.host)
    } catch (error) {
      // a host that let us in but where sudo says no is reached, and failed; anything else is unreachable
      const status = error instanceof BecomeError ? 'failed' : 'unreachable'
      this.record('connect', { status, message: (error as Error).message }, performance.now() - t0)
      this.stopped = true
    }
  }

  async close(): Promise<void> {
    await this.#executor?.close()
  }

  /** Read the play's batchable facts in one round trip; nothing is cached when that fails. */
  async readAhead(tasks: Task[], first: boolean): Promise<void> {
    const list = readAheadCommands(tasks, this.context(), first)
    if (list.length < 2) return
    const command = batchCommand(list)
    const batch = await this.exec('gathering facts', command)
    parseBatch(batch.stdout, command.batch.marker, list.length).forEach((part, i) => {
      if (part) this.facts.store(list[i]!, partResult(this.host.name, list[i]!, part))
    })
  }

  /** Run a task here and record its outcome; a changed task notifies its handlers. */
  async run(task: Task): Promise<void> {
    const t0 = performance.now()
    let outcome: Outcome
    try {
      outcome = await this.attempt(task)
    } catch (error) {
      if (error instanceof ConnectError) outcome = { status: 'unreachable', message: error.message }
      else if (error instanceof FactError && this.play.check && this.#wouldChange) outcome = notPlannable(error.message)
      else outcome = { status: 'failed', message: (error as Error).message }
    }
    if (this.play.check && outcome.status === 'changed') this.#wouldChange = true
    this.record(task.name, outcome, performance.now() - t0)
    if (outcome.status === 'changed' && !this.play.check) task.notify?.forEach((n) => this.notified.add(n))
  }

  private context(): TaskContext {
    return { host: this.host, inventory: this.play.inventory, hosts: this.play.inventory.hosts, check: this.play.check }
  }

  private executorFor(command: Command): Executor {
    return isControllerCommand(command) ? this.play.controller() : this.#executor!
  }


  /** Plan, apply, and for waiting tasks plan again until nothing is left to change. */
  private async attempt(task: Task): Promise<Outcome> {
    const { check } = this.play
    const ctx = this.context()
    const skip = task.when?.(ctx)
    if (skip === false || typeof skip === 'string') return { status: 'skipped', message: typeof skip === 'string' ? skip : undefined }
    const attempts = check ? 1 : (task.wait?.attempts ?? 1)
    // stalled time counts the waits between tries, so it is the same under a test's fake sleep
    const stall = !check && task.wait?.remaining && task.wait.stalledMs ? { ms: task.wait.stalledMs, best: [] as number[], idle: 0 } : undefined
    const more = (attempt: number) => (stall ? stall.idle < stall.ms : attempt < attempts)
    let applied = false
    let lastChanges: Change[] = []
    let attempt = 0
    for (;;) {
      attempt++
      const facts = await this.gather(task, ctx)
      if (stall) {
        const left = task.wait!.remaining!(facts as never)
        if (left.some((n, i) => n < (stall.best[i] ?? Infinity))) stall.idle = 0
        stall.best = left.map((n, i) => Math.min(n, stall.best[i] ?? Infinity))
      }
      const plan = task.plan(facts as never, ctx)
      if ('refuse' in plan) {
        if (check && this.#wouldChange) return { status: 'skipped', message: `cannot be planned before earlier changes are made (now: ${plan.refuse})` }
        return { status: 'failed', message: plan.refuse, data: plan.data }
      }
      if (plan.changes.length === 0)
        return applied ? { status: 'changed', changes: lastChanges } : { status: 'ok', message: plan.reason, data: plan.data, warning: plan.warning }
      if (check) return { status: 'changed', changes: plan.changes, message: 'would change' }
      for (const c of plan.changes) {
        for (const command of c.commands) {
          const result = await this.exec(task.name, command)
          this.play.changed()
          applied = true
          if (result.exitCode !== 0) return { status: 'failed', message: `${c.summary}: ${failureReason(result)}`, changes: [c] }
        }
      }
      lastChanges = applied ? plan.changes : lastChanges
      if (!task.wait) return { status: applied ? 'changed' : 'ok', changes: plan.changes }
      if (!more(attempt)) break
      const message = task.wait.progress?.(facts as never) ?? plan.changes.map((c) => c.summary).join('; ')
      const tries = stall ? `try ${attempt}${stall.idle ? `, no progress for ${(stall.idle / 1000).toFixed(0)} s` : ''}` : `try ${attempt}/${attempts}`
      this.play.sink({ type: 'progress', host: this.host.name, task: task.name, message: `${message} (${tries})` })
      this.facts.clear()
      await this.play.sleep(task.wait.delayMs)
      if (stall) stall.idle += task.wait.delayMs
    }
    const given = stall ? `no progress for ${(stall.ms / 1000).toFixed(0)} s (${attempt} tries)` : `${attempts} tries`
    return { status: 'failed', message: `gave up after ${given}: ${lastChanges.map((c) => c.summary).join('; ') || 'state did not converge'}` }
  }

  /** The task's facts, from the cache or read now; a parser's complaint becomes a FactError. */
  private async gather(task: Task, ctx: TaskContext): Promise<Record<string, unknown>> {
    const facts = (task.facts?.(ctx) ?? {}) as Record<string, Fact<unknown>>
    const entries = await Promise.all(
      Object.entries(facts).map(async ([key, f]) => {
        const result = await this.facts.answer(f.command, () => {
          if (!isControllerCommand(f.command)) this.play.countRoundTrip()
          return this.executorFor(f.command).run(f.command)
        })
        try {
          return [key, f.parse(result)] as const
        } catch (error) {
          this.facts.forget(f.command)
          if (error instanceof FactError) throw error
          throw new FactError(this.host.name, f.name, (error as Error).message)
        }
      }),
    )
    return Object.fromEntries(entries)
  }

  /** Run one command, reporting it (and, for long ones, their output lines as progress). */
  private async exec(task: string, command: Command): Promise<Result> {
    const { sink } = this.play
    if (!isControllerCommand(command)) this.play.countRoundTrip()
    let last = -Infinity
    const onLine =
      command.kind === 'exec' && command.progress
        ? (line: string) => {
            // at most two progress lines a second, so a chatty command does not flood the report
            if (performance.now() - last < 500) return
            last = performance.now()
            sink({ type: 'progress', host: this.host.name, task, message: line.slice(0, 200) })
          }
        : undefined
    const result = await this.executorFor(command).run(command, { onLine })
    sink({
      type: 'cmd',
      host: this.host.name,
      task,
      command: result.command,
      exitCode: result.exitCode,
      durationMs: result.durationMs,
      stderr: result.exitCode === 0 ? undefined : result.stderr.slice(-2000),
    })
    return result
  }

  /** Report a task's end and count it; unreachable, or failed without keepGoing, stops the host. */
  private record(task: string, outcome: Outcome, ms: number): void {
    this.play.sink({
      type: 'task:end',
      host: this.host.name,
      task,
      status: outcome.status,
      message: outcome.message,
      changes: outcome.changes?.map((c) => c.summary),
      diffs: this.play.diff ? outcome.changes?.flatMap((c) => (c.diff ? [c.diff] : [])) : undefined,
      durationMs: Math.round(ms),
      ...(outcome.data === undefined ? {} : { data: outcome.data }),
      ...(outcome.warning === undefined ? {} : { warning: outcome.warning }),
    })
    if (outcome.status === 'unreachable') {
      this.tally.unreachable = true
      this.stopped = true
    } else {
      this.tally[outcome.status]++
      if (outcome.status === 'failed' && !this.play.keepGoing) this.stopped = true
    }
  }
}
