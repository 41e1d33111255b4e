// Runs a playbook: each task across all hosts in parallel, then the next (Ansible's linear strategy),
// then the handlers that changed tasks asked for.
import type { Host, Inventory } from '../inventory/types.ts'
import type { HostTally, Sink } from './events.ts'
import type { Executor } from './executor.ts'
import { runHandlers } from './handlers.ts'
import { HostRun, type PlayScope } from './host-run.ts'
import { localExecutor } from './local-executor.ts'
import type { Playbook, Task } from './task.ts'

export { factKey } from './fact-cache.ts'

export interface PlayOptions {
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
  /** leave out tasks carrying one of these tags (also 'always' ones, as Ansible does) */
  skipTags?: string[]
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

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Select the tasks that --tags and --skip-tags ask for, with Ansible's special tags all, tagged, untagged. */
export function selectTasks(tasks: Task[], tags?: string[], skipTags?: string[]): Task[] {
  const has = (task: Task, wanted: string[]): boolean =>
    wanted.includes('all') ||
    (wanted.includes('tagged') && !!task.tags?.length) ||
    (wanted.includes('untagged') && !task.tags?.length) ||
    !!task.tags?.some((tag) => wanted.includes(tag))
  return tasks.filter((task) => {
    if (skipTags?.length && has(task, skipTags)) return false
    if (!tags?.length) return true
    return !!task.tags?.includes('always') || has(task, tags)
  })
}

/** One run of a playbook on a set of hosts. */
class Play implements PlayScope {
  readonly sink: Sink
  readonly inventory: Inventory
  readonly check: boolean
  readonly diff: boolean
  readonly keepGoing: boolean
  readonly sleep: (ms: number) => Promise<void>
  readonly hosts: HostRun[]
  roundTrips = 0
  #controller?: Executor

  constructor(private readonly options: PlayOptions) {
    this.sink = options.sink
    this.inventory = options.inventory
    this.check = options.check ?? false
    this.diff = options.diff ?? false
    this.keepGoing = options.playbook.keepGoing ?? false
    this.sleep = options.sleep ?? defaultSleep
    this.#controller = options.controller
    this.hosts = options.hosts.map((host) => new HostRun(host, this))
  }

  controller(): Executor {
    return (this.#controller ??= localExecutor('controller'))
  }

  countRoundTrip(): void {
    this.roundTrips++
  }

  changed(): void {
    for (const h of this.hosts) h.facts.clear()
  }

  async run(): Promise<Recap> {
    const started = performance.now()
    const { playbook } = this.options
    this.sink({ type: 'play:start', playbook: playbook.name, hosts: this.options.hosts.map((h) => h.name), check: this.check })
    await Promise.all(this.hosts.map((h) => h.connect((host) => this.options.connect(host))))
    const selected = selectTasks(playbook.tasks, this.options.tags, this.options.skipTags)
    await Promise.all(
      this.running().map((h, i) =>
        // on failure nothing is cached; each task reads its facts itself and reports what goes wrong there
        h.readAhead(selected, i === 0).catch(() => {}),
      ),
    )
    for (const task of selected) {
      // a host that failed stops the others too: nothing goes ahead on half of the cluster
      if (playbook.anyErrorsFatal && this.hosts.some((h) => h.stopped)) break
      await this.runTask(task, this.running(), false)
    }
    await runHandlers(playbook.handlers ?? [], this.hosts, (task, hosts, handler) => this.runTask(task, hosts, handler))
    await Promise.all(this.hosts.map((h) => h.close()))
    const hosts = Object.fromEntries(this.hosts.map((h) => [h.host.name, h.tally]))
    const durationMs = Math.round(performance.now() - started)
    this.sink({ type: 'recap', hosts, durationMs })
    return { hosts, durationMs, roundTrips: this.roundTrips }
  }

  private running(): HostRun[] {
    return this.hosts.filter((h) => !h.stopped)
  }

  /** One task on these hosts in parallel (the first only for runOnce); false when none is left. */
  private async runTask(task: Task, hosts: HostRun[], handler: boolean): Promise<boolean> {
    const active = hosts.filter((h) => !h.stopped)
    if (active.length === 0) return false
    this.sink({ type: 'task:start', task: task.name, handler })
    const targets = task.runOnce ? active.slice(0, 1) : active
    await Promise.all(targets.map((h) => h.run(task)))
    return true
  }
}

/** Run a playbook against hosts and report every step to the sink; resolves with the recap. */
export function runPlaybook(options: PlayOptions): Promise<Recap> {
  return new Play(options).run()
}

/** True when no host failed or was unreachable: the CLI's exit code. */
export function recapSucceeded(recap: Pick<Recap, 'hosts'>): boolean {
  return Object.values(recap.hosts).every((t) => t.failed === 0 && !t.unreachable)
}
