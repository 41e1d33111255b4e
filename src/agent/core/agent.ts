// The agent: an index of upper, the state store, and publish passes over what is pending, behind one lock.
// The daemon, the CLI's offline commands and the tests all drive this one object. Whatever walks upper or
// changes the records runs inside exclusive(), which alone hands out the LockedAgent; what stays here
// either takes the lock itself (open, flush, close) or only reads (status, pending, conflicts).
import { lstat } from 'node:fs/promises'
import { join } from 'node:path'
import type { AgentConfig } from '../service/config.ts'
import type { Log } from '../service/log.ts'
import { diskUsedPercent, isUnionMounted, lowerProblem } from '../fs/mounts.ts'
import { lowerChoice, unionClientProblem } from '../fs/union-lower.ts'
import { drainMountsNow } from '../fs/drain-mounts.ts'
import { WriterSnapshots } from '../watch/fresh-writers.ts'
import { DentryDrops, FS_TICK_MS } from '../publish/no-clobber.ts'
import { Observations, systemClock, type Clock } from './observations.ts'
import { toBytes, type Bytes } from '../fs/paths.ts'
import { UpperIndex } from '../watch/scan.ts'
import { goneRecord, StateStore, type ConflictReport } from '../state/state-store.ts'
import type { StatusReport } from '../service/status.ts'
import { AGENT_VERSION } from '../service/version.ts'
import { Backoffs } from './backoff.ts'
import { ErrorRegistry } from './errors.ts'
import { flushRounds, type FlushOptions, type FlushResult } from './flush.ts'
import { LockedAgent } from './locked-agent.ts'
import type { PassParts } from './pass-parts.ts'
import { PendingView, type PendingSummary } from './pending.ts'
import { PublishDurations, PublishRate } from './rate.ts'
import { LaneLeases } from './lanes.ts'
import { Uplink } from '../uplink/uplink.ts'
import { GlusterNameLocks, NAME_LOCK_FILE, type NameLocks } from '../fs/name-locks.ts'
import { hideInUpper } from '../fs/hidden-names.ts'
import type { ProgressSnapshot } from '../uplink/progress-display.ts'

export type { PassSummary } from './pass-parts.ts'
export type { LockedAgent } from './locked-agent.ts'
export { isDone, type PendingSummary } from './pending.ts'

export class Agent {
  readonly upper: Bytes
  readonly lower: Bytes
  /** monotonic clock for settle times and backoff (injectable, so tests drive it) */
  readonly clock: Clock
  readonly obs: Observations
  private readonly state: StateStore
  private readonly index: UpperIndex
  private isRunning = false
  private readonly errors: ErrorRegistry
  private readonly backoff: Backoffs
  private readonly view: PendingView
  private readonly parts: PassParts
  private chain: Promise<unknown> = Promise.resolve()
  private readonly held: LockedAgent
  /** dentry drops and union mounts: they bound how long a stale dentry can have hidden a gv0 change */
  private readonly drops: DentryDrops
  /** the upload limit every copy into gv0 obeys */
  readonly uplink: Uplink
  /** the locks both agents take before changing a name gv0 holds */
  private readonly names: NameLocks

  constructor(
    readonly cfg: AgentConfig,
    private readonly log: Log = () => {},
    opts: { clock?: Clock; uplink?: Uplink } = {},
  ) {
    this.uplink = opts.uplink ?? Uplink.fromConfig(cfg.bandwidth, cfg.stateDir)
    this.state = new StateStore(cfg.stateDir)
    this.drops = new DentryDrops(cfg.clockSkewSeconds * 1000)
    this.upper = toBytes(cfg.upper)
    this.lower = toBytes(cfg.lower)
    this.index = new UpperIndex(this.upper)
    this.clock = opts.clock ?? systemClock
    this.obs = new Observations(cfg.stateDir, this.clock, this.drops)
    this.errors = new ErrorRegistry(log)
    this.backoff = new Backoffs(this.clock, cfg.retryMaxSeconds * 1000)
    this.view = new PendingView(this.index, this.state, this.errors, this.backoff)
    // the lock file is reached through gv0_mount, whichever drain mount a publish goes through
    this.names = new GlusterNameLocks(join(cfg.lower, NAME_LOCK_FILE), { holdMs: cfg.nameLockHoldSeconds * 1000, waitMs: 30_000, log })
    this.parts = {
      cfg,
      log,
      upper: this.upper,
      lower: this.lower,
      state: this.state,
      index: this.index,
      obs: this.obs,
      writers: new WriterSnapshots([cfg.union, cfg.upper], this.clock),
      clock: this.clock,
      errors: this.errors,
      backoff: this.backoff,
      pending: this.view,
      rate: new PublishRate(),
      durations: new PublishDurations(),
      drops: this.drops,
      uplink: this.uplink,
      lanes: new LaneLeases(this.clock),
      names: this.names,
    }
    this.held = new LockedAgent(this.parts)
  }

  /** Runs operations one at a time (passes, evicts, flushes never overlap); only they get the locked parts. */
  exclusive<T>(fn: (held: LockedAgent) => Promise<T>): Promise<T> {
    const go = () => fn(this.held)
    const run = this.chain.then(go, go)
    this.chain = run.catch(() => {})
    return run
  }

  /**
   * Like exclusive(), if its turn comes within `ms` (a pass ahead of it may take minutes): else undefined
   * at `ms`, and `fn` never runs.
   */
  within<T>(ms: number, fn: (held: LockedAgent) => Promise<T>): Promise<T | undefined> {
    let late = false
    let timer: NodeJS.Timeout | undefined
    const run = this.exclusive(async (held) => (late ? undefined : fn(held)))
    const expire = new Promise<undefined>((r) => {
      timer = setTimeout(() => {
        late = true
        r(undefined)
      }, ms)
    })
    return Promise.race([run, expire]).finally(() => clearTimeout(timer))
  }

  /** Has `w` watch each upper directory just before a walk reads it (scan.ts, beforeRead). */
  watchDirsWith(w: { watch(rel: Bytes): void }): void {
    this.index.beforeRead = (rel) => w.watch(rel)
  }

  /** Loads state and walks upper once. */
  open(): Promise<void> {
    return this.exclusive(() => this.load())
  }

  private async load(): Promise<void> {
    this.state.load()
    if (this.state.unreadable) this.errors.note('state', this.state.unreadable)
    const ino = (await lstat(this.cfg.upper)).ino
    if (this.state.upperIno !== ino) {
      if (this.state.upperIno !== null) {
        // another upper dir (cache disk replaced or re-created): old records are baselines only
        this.log(`upper dir ${this.cfg.upper} is not the one the state was written for: keeping records as baselines only`, 'warning')
        for (const [rel, rec] of this.state.records) this.state.records.set(rel, { ...rec, reclaimed: true })
      }
      this.state.upperIno = ino
      this.state.dirty = true
    }
    this.obs.load(ino)
    // the agents' name-lock file in gv0 is no user's file: the union never shows it
    await hideInUpper(this.cfg.upper, NAME_LOCK_FILE, "the agents' name-lock file").catch((err: Error) => this.errors.note('hidden', err.message))
    await this.index.fullScan()
    // a reclaim cut short by a crash: the entry is gone, so gv0's own name shows (no conflict target, and a
    // directory made there later is judged afresh)
    for (const [rel, rec] of this.state.records) {
      if (rec.reclaimed && (rec.conflictPath || rec.opaqueDone) && !this.index.entries.has(rel)) this.state.set(rel, goneRecord(rec))
    }
  }

  /** Removes this host's temporaries left by a crash (under the lock). */
  removeStaleTemps(): Promise<number> {
    return this.exclusive((held) => held.removeStaleTemps())
  }

  /** Entries not yet published, as status reports them (a read: no lock needed). */
  pending(): PendingSummary {
    return this.view.summary()
  }

  /** Loads the records only (no walk of upper): what `conflicts` needs without the daemon. */
  loadRecords(): Promise<void> {
    return this.exclusive(async () => this.state.load())
  }

  conflicts(): ConflictReport[] {
    return this.state.conflicts
  }

  get entryCount(): number {
    return this.index.entries.size
  }

  get running(): boolean {
    return this.isRunning
  }

  setRunning(running: boolean): void {
    this.isRunning = running
  }

  /** Scans, publishes and repeats until nothing is pending or the deadline passes; each round holds the lock. */
  flush(opts: FlushOptions): Promise<FlushResult> {
    if (opts.now) return this.uplink.unlimited(() => this.flush({ ...opts, now: false }))
    const paused = this.uplink.heldReason()
    if (paused) {
      const p = this.pending()
      return Promise.resolve({ ok: false, pending: p, message: `${paused}; ${p.entries} entries pending (flush --now publishes them anyway)` })
    }
    let first = true
    return flushRounds(opts, this.cfg.settleSeconds * 1000, {
      round: (settleMs) =>
        this.exclusive(async (held) => {
          // a user asked: what waits out a backoff is tried again at once
          if (first) held.retryNow()
          first = false
          await held.rescan()
          const sum = await held.pass({ settleMs })
          held.saveState()
          return { published: sum.published, pending: held.pending(), stuck: opts.wait ? held.stuck() : null }
        }),
      watchedFor: (ms) => this.obs.watchedFor(ms),
      backoffLeftMs: () => this.backoff.globalWaitMs(),
    })
  }

  /** Waits for the operation in progress, then saves everything (at a stop). */
  close(): Promise<void> {
    return this.exclusive(async (held) => {
      held.saveState({ final: true })
      // locks still in their hold stay held by the helper until that time is up
      this.names.close()
    })
  }

  /** Cache disk use of the file system holding upper. */
  cacheUsedPercent(): number {
    return diskUsedPercent(this.cfg.upper)
  }

  /** Pending work and the uplink, for progress lines. */
  progress(): ProgressSnapshot {
    const p = this.pending()
    return { pending: { entries: p.entries, bytes: p.bytes }, uplink: this.uplink.report(p.bytes) }
  }

  /** The report behind `status --json` and the metrics. */
  async status(): Promise<StatusReport> {
    const p = this.view.summary()
    // asked together: a gv0 client that hangs costs each probe its deadline (fs/answer-probe.ts); the union's
    // own client is asked too, so the lower choice below describes it as it is now
    const [lowerNow, drain] = await Promise.all([lowerProblem(this.cfg), drainMountsNow(this.cfg), unionClientProblem(this.cfg)])
    return {
      version: AGENT_VERSION,
      host: this.cfg.host,
      running: this.isRunning,
      union: { path: this.cfg.union, mounted: isUnionMounted(this.cfg) },
      lower: { path: this.cfg.lower, problem: lowerNow },
      unionLower: lowerChoice(this.cfg),
      drainMounts: { wanted: drain.wanted, usable: drain.usable.length, problems: drain.problems },
      pending: { entries: p.entries, bytes: p.bytes, oldestAgeSeconds: p.oldestAgeSeconds },
      uplink: this.uplink.report(p.bytes),
      lastPublish: this.state.totals.lastPublish,
      publishedTotal: this.state.totals.publishedEntries,
      publishedBytesTotal: this.state.totals.publishedBytes,
      publishRateBytesPerSecond: Math.round(this.parts.rate.bytesPerSecond()),
      publishDurations: { count: this.parts.durations.count, seconds: this.parts.durations.seconds },
      errors: this.errors.latest(20),
      errorsActive: this.errors.size,
      errorsTotal: this.errors.total,
      conflicts: this.state.totals.conflicts,
      evictions: this.state.totals.evictions,
      cache: {
        usedPercent: Math.round(this.cacheUsedPercent() * 10) / 10,
        highWatermarkPercent: this.cfg.highWatermarkPercent,
        lowWatermarkPercent: this.cfg.lowWatermarkPercent,
      },
    }
  }

  /** Records an error from outside a pass (evict, dentry drop, metrics). */
  reportError(key: string, message: string): void {
    this.errors.note(key, message)
  }

  /** Entries this process has published or deleted in gv0 so far, the pass under way included (read-only, no lock). */
  get gv0Changes(): number {
    return this.held.gv0Changes
  }

  /**
   * Notes a dentry drop once it is done (no-clobber.ts: names created remotely before it are visible after
   * it), dated when it began (`startedAt`, wall-clock ms): a drop walks every cached dentry and can take
   * hundreds of milliseconds, and a lookup during it can cache "no such name" again just before the other
   * host creates that name (measured: such a name stayed hidden after the drop ended, 1 time in 10).
   * `held`: the union's names the drop could not refresh (dentries.ts, dropUnionDentries).
   */
  noteDentryDrop(startedAt: number = Date.now(), held: ReadonlySet<Bytes> | null = null): void {
    this.drops.note(startedAt - FS_TICK_MS, held)
  }

  /** Clears an error once its cause is gone. */
  clearError(key: string): void {
    this.errors.clear(key)
  }
}
