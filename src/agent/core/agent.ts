// The agent: an index of upper, the state store, and publish passes over what is pending, behind one lock.
// The daemon, the CLI's offline commands and the tests all drive this one object.
import { lstat } from 'node:fs/promises'
import type { AgentConfig } from '../service/config.ts'
import type { Log } from '../service/log.ts'
import { diskUsedPercent, isUnionMounted, lowerProblem } from '../fs/mounts.ts'
import { drainMountsNow } from '../fs/drain-mounts.ts'
import { WriterSnapshots } from '../watch/fresh-writers.ts'
import { DentryDrops } from '../publish/no-clobber.ts'
import { Observations, systemClock, type Clock } from './observations.ts'
import { toBytes, type Bytes } from '../fs/paths.ts'
import { SafeTree } from '../fs/safe-fs.ts'
import { UpperIndex, type UpperEntry } from '../watch/scan.ts'
import type { UpperWatcher } from '../watch/watch.ts'
import { StateStore, type ConflictReport, type PublishRecord } from '../state/state-store.ts'
import type { StatusReport } from '../service/status.ts'
import { removeStaleTemps } from '../publish/temp-files.ts'
import { AGENT_VERSION } from '../service/version.ts'
import { Backoffs } from './backoff.ts'
import { ErrorRegistry } from './errors.ts'
import { flushRounds, type FlushOptions, type FlushResult } from './flush.ts'
import { runPass } from './pass.ts'
import type { PassParts, PassSummary } from './pass-parts.ts'
import { PendingView, type PendingSummary } from './pending.ts'
import { PublishRate } from './rate.ts'

export type { PassSummary } from './pass-parts.ts'
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
  /** this process's dentry drops: they bound how long a negative dentry can have been stale */
  private readonly drops = new DentryDrops()

  constructor(
    readonly cfg: AgentConfig,
    private readonly log: Log = () => {},
    opts: { clock?: Clock } = {},
  ) {
    this.state = new StateStore(cfg.stateDir)
    this.upper = toBytes(cfg.upper)
    this.lower = toBytes(cfg.lower)
    this.index = new UpperIndex(this.upper)
    this.clock = opts.clock ?? systemClock
    this.obs = new Observations(cfg.stateDir, this.clock)
    this.errors = new ErrorRegistry(log)
    this.backoff = new Backoffs(this.clock, cfg.retryMaxSeconds * 1000)
    this.view = new PendingView(this.index, this.state, this.errors, this.backoff)
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
      drops: this.drops,
    }
  }

  /** Runs operations one at a time (passes, evicts, flushes never overlap). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn)
    this.chain = run.catch(() => {})
    return run
  }

  /** Loads state and walks upper once. */
  async open(): Promise<void> {
    this.state.load()
    const ino = (await lstat(this.cfg.upper)).ino
    if (this.state.upperIno !== ino) {
      if (this.state.upperIno !== null) {
        // another upper dir (cache disk replaced or re-created): old records are baselines only
        this.log(`upper dir ${this.cfg.upper} is not the one the state was written for: keeping records as baselines only`)
        for (const [rel, rec] of this.state.records) this.state.records.set(rel, { ...rec, r: 1 })
      }
      this.state.upperIno = ino
      this.state.dirty = true
    }
    this.obs.load(ino)
    await this.index.fullScan()
    // a reclaim cut short by a crash: the entry is gone, so gv0's own name shows (no conflict target)
    for (const [rel, rec] of this.state.records) {
      if (rec.r && rec.x && !this.index.entries.has(rel)) this.state.set(rel, { ...rec, x: undefined, h: undefined })
    }
  }

  /** Removes this host's temporaries left by a crash, in every lower dir that mirrors an upper dir. */
  async removeStaleTemps(): Promise<number> {
    const dirs: Bytes[] = ['']
    for (const e of this.index.entries.values()) if (e.kind === 'd') dirs.push(e.rel)
    const lower = new SafeTree(this.lower, 'gv0')
    let n: number
    try {
      n = await removeStaleTemps(lower, dirs, this.cfg.host)
    } finally {
      lower.close()
    }
    if (n) this.log(`removed ${n} stale temporary file(s) in gv0`)
    return n
  }

  // The index and the records, for the daemon, reclaim and evict (callers hold the lock).

  /** Walks upper again. */
  rescan(): Promise<void> {
    return this.index.fullScan()
  }

  /** Walks the given directories of upper again. */
  async rescanDirs(dirs: Iterable<Bytes>): Promise<void> {
    for (const d of dirs) await this.index.rescanDir(d)
  }

  /** Points the watcher at the directories the index now holds. */
  syncWatcher(w: UpperWatcher): void {
    w.sync(this.index)
  }

  entries(): IterableIterator<UpperEntry> {
    return this.index.entries.values()
  }

  entry(rel: Bytes): UpperEntry | undefined {
    return this.index.entries.get(rel)
  }

  get entryCount(): number {
    return this.index.entries.size
  }

  record(rel: Bytes): PublishRecord | undefined {
    return this.state.get(rel)
  }

  setRecord(rel: Bytes, rec: PublishRecord): void {
    this.state.set(rel, rec)
  }

  dropRecord(rel: Bytes): void {
    this.state.delete(rel)
  }

  /** Marks records as reclaimed before their upper entries go (see StateStore.markReclaimed). */
  markReclaimed(rels: Bytes[]): void {
    this.state.markReclaimed(rels)
  }

  /** Loads the records only (no walk of upper): what `conflicts` needs without the daemon. */
  loadRecords(): void {
    this.state.load()
  }

  /** Saves the records now; unlike saveState, a failure throws. */
  saveRecords(): void {
    this.state.save()
  }

  conflicts(): ConflictReport[] {
    return this.state.conflicts
  }

  get running(): boolean {
    return this.isRunning
  }

  setRunning(running: boolean): void {
    this.isRunning = running
  }

  // Passes (callers hold the lock) and what they leave pending.

  /** Forgets the backoffs so a user-requested flush retries at once. */
  retryNow(): void {
    this.backoff.retryNow()
  }

  /** Entries not yet applied to gv0, parents first. */
  candidates(): UpperEntry[] {
    return this.view.candidates()
  }

  /** Published names that left upper without a whiteout (PendingView.vanished). */
  vanished(): Bytes[] {
    return this.view.vanished()
  }

  /** What keeps `flush --wait` from finishing that waiting cannot fix (PendingView.stuck). */
  stuck(): string[] | null {
    return this.view.stuck()
  }

  /** Pending entries, bytes and the oldest change, as status reports them. */
  pending(): PendingSummary {
    return this.view.summary()
  }

  /** Publishes every quiescent pending entry once; errors never escape (see runPass). */
  pass(opts: { settleMs?: number } = {}): Promise<PassSummary> {
    return runPass(this.parts, opts.settleMs ?? this.cfg.settleSeconds * 1000)
  }

  /**
   * Saves state when something changed, and everything on a `final` save (at a stop); a failure (e.g. a full
   * cache disk) is reported, not fatal.
   */
  saveState(opts: { final?: boolean } = {}): void {
    if (!this.state.dirty && !this.obs.dirty && !opts.final) return
    try {
      if (this.state.dirty) this.state.save()
      // after the state: see Observations.save
      this.obs.save()
      this.errors.clear('state')
    } catch (err) {
      this.errors.note('state', `saving state: ${(err as Error).message}`)
    }
  }

  /** Scans, publishes and repeats until nothing is pending or the deadline passes; each round holds the lock. */
  flush(opts: FlushOptions): Promise<FlushResult> {
    this.retryNow()
    return flushRounds(opts, this.cfg.settleSeconds * 1000, {
      round: (settleMs) =>
        this.exclusive(async () => {
          await this.index.fullScan()
          const sum = await this.pass({ settleMs })
          this.saveState()
          return { published: sum.published, pending: this.pending(), stuck: opts.wait ? this.stuck() : null }
        }),
      watchedFor: (ms) => this.obs.watchedFor(ms),
      backoffLeftMs: () => this.backoff.globalWaitMs(),
    })
  }

  /** Cache disk use of the file system holding upper. */
  cacheUsedPercent(): number {
    return diskUsedPercent(this.cfg.upper)
  }

  /** Marks the end of an evict cycle in the totals. */
  noteEviction(): void {
    this.state.totals.evictions++
    this.state.dirty = true
  }

  /** The report behind `status --json` and the metrics. */
  async status(): Promise<StatusReport> {
    const p = this.pending()
    return {
      version: AGENT_VERSION,
      host: this.cfg.host,
      running: this.isRunning,
      union: { path: this.cfg.union, mounted: isUnionMounted(this.cfg) },
      lower: { path: this.cfg.lower, problem: await lowerProblem(this.cfg) },
      drainMounts: await drainMountsNow(this.cfg).then((d) => ({ wanted: d.wanted, usable: d.usable.length, problems: d.problems })),
      pending: { entries: p.entries, bytes: p.bytes, oldestAgeSeconds: p.oldestAgeSeconds },
      lastPublish: this.state.totals.lastPublish,
      publishedTotal: this.state.totals.publishedEntries,
      publishedBytesTotal: this.state.totals.publishedBytes,
      publishRateBytesPerSecond: Math.round(this.parts.rate.bytesPerSecond()),
      errors: this.errors.latest(20),
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

  /** Notes a dentry drop once it is done (no-clobber.ts: names created remotely before it are visible after it). */
  noteDentryDrop(): void {
    this.drops.note(Date.now())
  }

  /** Clears an error once its cause is gone. */
  clearError(key: string): void {
    this.errors.clear(key)
  }
}
