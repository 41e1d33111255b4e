// Runs a playbook: each task across all hosts in parallel, then the next (Ansible's linear strategy).
import type { Host, Inventory } from '../inventory/types.ts'
import type { Command, ExecCommand } from './command.ts'
import { BecomeError, ConnectError, FactError } from './errors.ts'
import type { EngineEvent, HostTally, Sink, TaskStatus } from './events.ts'
import type { Executor } from './executor.ts'
import { batchable, batchCommand, parseBatch, partResult } from './fact-batch.ts'
import { localExecutor } from './local-executor.ts'
import { failureReason, type Result } from './result.ts'
import type { Change, Fact, Playbook, Task, TaskContext } from './task.ts'

export interface RunOptions {
  playbook: Playbook
  inventory: Inventory
  /** hosts to run on, after --limit */
  hosts: Host[]
  connect(host: Host): Promise<Executor>
  sink: Sink
  check?: boolean
  diff?: boolean
  /** run only tasks carrying one of these tags (tasks tagged 'always' run too) */
  tags?: string[]
  /** wait between retries; tests pass a fake */
  sleep?(ms: number): Promise<void>
  /** runs commands marked `controller` (the CA); default: this machine */
  controller?: Executor
}

export interface Recap {
  hosts: Record<string, HostTally>
  durationMs: number
  /** number of remote commands sent, facts included */
  roundTrips: number
}

interface HostState {
  host: Host
  executor?: Executor
  facts: Map<string, Promise<Result>>
  tally: HostTally
  done: boolean
  notified: Set<string>
  /** check mode: an earlier task would have changed this host, so later facts may not hold yet */
  wouldChange: boolean
}

type Outcome = { status: TaskStatus; message?: string; changes?: Change[]; data?: unknown }

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** The key facts are cached under on a host: the same command is read once until something changes. */
export function factKey(command: Command): string {
  return command.kind === 'exec' ? `${command.controller ? 'controller:' : ''}${command.script}` : `put:${command.path}`
}

/** Select the tasks that the --tags option asks for. */
export function selectTasks(tasks: Task[], tags?: string[]): Task[] {
  if (!tags?.length) return tasks
  return tasks.filter((t) => t.tags?.includes('always') || t.tags?.some((tag) => tags.includes(tag)))
}

/** Run a playbook against hosts and report every step to the sink; resolves with the recap. */
export async function runPlaybook(options: RunOptions): Promise<Recap> {
  const started = performance.now()
  const { sink, playbook } = options
  const sleep = options.sleep ?? defaultSleep
  let roundTrips = 0
  const states = options.hosts.map<HostState>((host) => ({
    host,
    facts: new Map(),
    tally: { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: false },
    done: false,
    notified: new Set(),
    wouldChange: false,
  }))
  const check = options.check ?? false
  let controller = options.controller
  const executorFor = (state: HostState, command: Command): Executor =>
    command.kind === 'exec' && command.controller ? (controller ??= localExecutor('controller')) : state.executor!
  sink({ type: 'play:start', playbook: playbook.name, hosts: options.hosts.map((h) => h.name), check })

  const emitEnd = (state: HostState, task: string, outcome: Outcome, ms: number) => {
    const event: EngineEvent = {
      type: 'task:end',
      host: state.host.name,
      task,
      status: outcome.status,
      message: outcome.message,
      changes: outcome.changes?.map((c) => c.summary),
      diffs: options.diff ? outcome.changes?.flatMap((c) => (c.diff ? [c.diff] : [])) : undefined,
      durationMs: Math.round(ms),
      ...(outcome.data === undefined ? {} : { data: outcome.data }),
    }
    sink(event)
    if (outcome.status === 'unreachable') {
      state.tally.unreachable = true
      state.done = true
    } else {
      state.tally[outcome.status]++
      if (outcome.status === 'failed' && !playbook.keepGoing) state.done = true
    }
  }

  await Promise.all(
    states.map(async (state) => {
      const t0 = performance.now()
      try {
        state.executor = await options.connect(state.host)
      } catch (error) {
        // a host that let us in but where sudo says no is reached, and failed; anything else is unreachable
        const status = error instanceof BecomeError ? 'failed' : 'unreachable'
        emitEnd(state, 'connect', { status, message: (error as Error).message }, performance.now() - t0)
        state.done = true
      }
    }),
  )

  const exec = async (state: HostState, task: string, command: Command): Promise<Result> => {
    roundTrips++
    let last = 0
    const onLine =
      command.kind === 'exec' && command.progress
        ? (line: string) => {
            // at most two progress lines a second, so a chatty command does not flood the report
            if (performance.now() - last < 500) return
            last = performance.now()
            sink({ type: 'progress', host: state.host.name, task, message: line.slice(0, 200) })
          }
        : undefined
    const result = await executorFor(state, command).run(command, { onLine })
    sink({
      type: 'cmd',
      host: state.host.name,
      task,
      command: result.command,
      exitCode: result.exitCode,
      durationMs: result.durationMs,
      stderr: result.exitCode === 0 ? undefined : result.stderr.slice(-2000),
    })
    return result
  }

  const gather = async (state: HostState, task: Task, ctx: TaskContext) => {
    const facts = (task.facts?.(ctx) ?? {}) as Record<string, Fact<unknown>>
    const entries = await Promise.all(
      Object.entries(facts).map(async ([key, f]) => {
        const cacheKey = factKey(f.command)
        let pending = state.facts.get(cacheKey)
        if (!pending) {
          roundTrips++
          pending = executorFor(state, f.command).run(f.command)
          state.facts.set(cacheKey, pending)
        }
        const result = await pending
        try {
          return [key, f.parse(result)] as const
        } catch (error) {
          state.facts.delete(cacheKey)
          if (error instanceof FactError) throw error
          throw new FactError(state.host.name, f.name, (error as Error).message)
        }
      }),
    )
    return Object.fromEntries(entries)
  }

  const contextOf = (state: HostState): TaskContext => ({ host: state.host, inventory: options.inventory, hosts: options.inventory.hosts, check })

  // A host's facts for the whole play, read in one round trip before the first task. Any change on any host
  // drops every cached fact (a probe on hydra changes plexus's peer list), so after the first change the
  // tasks read their facts as they come, as they would without this.
  const readAhead = async (state: HostState, tasks: Task[], first: boolean) => {
    const ctx = contextOf(state)
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
    if (commands.size < 2) return
    const list = [...commands.values()]
    const command = batchCommand(list)
    const batch = await exec(state, 'gathering facts', command)
    parseBatch(batch.stdout, command.batch.marker, list.length).forEach((part, i) => {
      if (part) state.facts.set(factKey(list[i]!), Promise.resolve(partResult(state.host.name, list[i]!, part)))
    })
  }

  const runOn = async (state: HostState, task: Task): Promise<Outcome> => {
    const ctx = contextOf(state)
    const skip = task.when?.(ctx)
    if (skip === false || typeof skip === 'string')
      return { status: 'skipped', message: typeof skip === 'string' ? skip : undefined }
    const attempts = check ? 1 : (task.wait?.attempts ?? 1)
    let applied = false
    let lastChanges: Change[] = []
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const facts = await gather(state, task, ctx)
      const plan = task.plan(facts as never, ctx)
      if ('refuse' in plan) {
        if (check && state.wouldChange)
          return { status: 'skipped', message: `cannot be planned before earlier changes are made (now: ${plan.refuse})` }
        return { status: 'failed', message: plan.refuse, data: plan.data }
      }
      if (plan.changes.length === 0)
        return applied ? { status: 'changed', changes: lastChanges } : { status: 'ok', message: plan.reason, data: plan.data }
      if (check) return { status: 'changed', changes: plan.changes, message: 'would change' }
      for (const c of plan.changes) {
        for (const command of c.commands) {
          const result = await exec(state, task.name, command)
          for (const s of states) s.facts.clear()
          applied = true
          if (result.exitCode !== 0) return { status: 'failed', message: `${c.summary}: ${failureReason(result)}`, changes: [c] }
        }
      }
      lastChanges = applied ? plan.changes : lastChanges
      if (!task.wait) return { status: applied ? 'changed' : 'ok', changes: plan.changes }
      if (attempt < attempts) {
        const message = task.wait.progress?.(facts as never) ?? plan.changes.map((c) => c.summary).join('; ')
        sink({ type: 'progress', host: state.host.name, task: task.name, message: `${message} (try ${attempt}/${attempts})` })
        state.facts.clear()
        await sleep(task.wait.delayMs)
      }
    }
    return { status: 'failed', message: `gave up after ${attempts} tries: ${lastChanges.map((c) => c.summary).join('; ') || 'state did not converge'}` }
  }

  const runTask = async (task: Task, handler = false) => {
    const active = states.filter((s) => !s.done)
    if (active.length === 0) return false
    sink({ type: 'task:start', task: task.name, handler })
    const targets = task.runOnce ? active.slice(0, 1) : active
    await Promise.all(
      targets.map(async (state) => {
        const t0 = performance.now()
        let outcome: Outcome
        try {
          outcome = await runOn(state, task)
        } catch (error) {
          if (error instanceof ConnectError) outcome = { status: 'unreachable', message: error.message }
          else if (error instanceof FactError && check && state.wouldChange)
            outcome = { status: 'skipped', message: `cannot be planned before earlier changes are made (${error.message})` }
          else outcome = { status: 'failed', message: (error as Error).message }
        }
        if (check && outcome.status === 'changed') state.wouldChange = true
        emitEnd(state, task.name, outcome, performance.now() - t0)
        if (outcome.status === 'changed' && !check) task.notify?.forEach((n) => state.notified.add(n))
      }),
    )
    return true
  }

  const selected = selectTasks(playbook.tasks, options.tags)
  const reachable = states.filter((s) => !s.done)
  await Promise.all(
    reachable.map(async (state, i) => {
      try {
        await readAhead(state, selected, i === 0)
      } catch {
        // nothing is cached; each task reads its facts itself and reports what goes wrong there
      }
    }),
  )
  for (const task of selected) await runTask(task)
  for (const handler of playbook.handlers ?? []) {
    const wanted = states.filter((s) => s.notified.has(handler.name) && !s.done)
    if (wanted.length === 0) continue
    const others = states.filter((s) => !wanted.includes(s) && !s.done)
    others.forEach((s) => (s.done = true))
    await runTask({ ...handler.task, name: handler.name }, true)
    others.forEach((s) => (s.done = false))
  }

  await Promise.all(states.map((s) => s.executor?.close()))
  const hosts = Object.fromEntries(states.map((s) => [s.host.name, s.tally]))
  const durationMs = Math.round(performance.now() - started)
  sink({ type: 'recap', hosts, durationMs })
  return { hosts, durationMs, roundTrips }
}

/** True when no host failed or was unreachable: the CLI's exit code. */
export function recapSucceeded(recap: Pick<Recap, 'hosts'>): boolean {
  return Object.values(recap.hosts).every((t) => t.failed === 0 && !t.unreachable)
}
