// What may only be done while holding the agent's lock: walking upper, reading and changing the records,
// publish passes. Agent.exclusive() hands the one instance to its callback, so holding the lock is a
// matter of types, not of comments.
import type { AgentConfig } from '../service/config.ts'
import type { Bytes } from '../fs/paths.ts'
import { SafeTree } from '../fs/safe-fs.ts'
import type { UpperEntry } from '../watch/scan.ts'
import type { UpperWatcher } from '../watch/watch.ts'
import type { PublishRecord } from '../state/state-store.ts'
import { removeStaleTemps } from '../publish/temp-files.ts'
import { emptySummary, runPass } from './pass.ts'
import type { PassParts, PassSummary } from './pass-parts.ts'
import type { PendingSummary } from './pending.ts'

export class LockedAgent {
  readonly cfg: AgentConfig
  readonly upper: Bytes
  readonly lower: Bytes

  readonly #parts: PassParts

  constructor(parts: PassParts) {
    this.#parts = parts
    this.cfg = parts.cfg
    this.upper = parts.upper
    this.lower = parts.lower
  }

  /** the upload limit: evict and prepare leave a limited drain to the daemon */
  get uplink(): PassParts['uplink'] {
    return this.#parts.uplink
  }

  // upper's index

  /** Walks upper again. */
  rescan(): Promise<void> {
    return this.#parts.index.fullScan()
  }

  /** Walks the given directories of upper again. */
  async rescanDirs(dirs: Iterable<Bytes>): Promise<void> {
    for (const d of dirs) await this.#parts.index.rescanDir(d)
  }

  /** Points the watcher at the directories the index now holds. */
  syncWatcher(w: UpperWatcher): void {
    w.sync(this.#parts.index)
  }

  entries(): IterableIterator<UpperEntry> {
    return this.#parts.index.entries.values()
  }

  entry(rel: Bytes): UpperEntry | undefined {
    return this.#parts.index.entries.get(rel)
  }

  get entryCount(): number {
    return this.#parts.index.entries.size
  }

  // the records

  record(rel: Bytes): PublishRecord | undefined {
    return this.#parts.state.get(rel)
  }

  setRecord(rel: Bytes, rec: PublishRecord): void {
    this.#parts.state.set(rel, rec)
  }

  dropRecord(rel: Bytes): void {
    this.#parts.state.delete(rel)
  }

  /** Marks records as reclaimed before their upper entries go (see StateStore.markReclaimed). */
  markReclaimed(rels: Bytes[]): void {
    this.#parts.state.markReclaimed(rels)
  }

  /** Saves the records now; unlike saveState, a failure throws. */
  saveRecords(): void {
    this.#parts.state.save()
  }

  /**
   * Saves state when something changed, and everything on a `final` save (at a stop); a failure (e.g. a full
   * cache disk) is reported, not fatal.
   */
  saveState(opts: { final?: boolean } = {}): void {
    const { state, obs, errors } = this.#parts
    if (!state.dirty && !obs.dirty && !opts.final) return
    try {
      if (state.dirty) state.save()
      // after the state: see Observations.save
      obs.save()
      errors.clear('state')
    } catch (err) {
      errors.note('state', `saving state: ${(err as Error).message}`)
    }
  }

  /** Marks the end of an evict cycle in the totals. */
  noteEviction(): void {
    this.#parts.state.totals.evictions++
    this.#parts.state.dirty = true
  }

  // passes and what they leave pending

  /** Forgets the backoffs so a user-requested flush retries at once. */
  retryNow(): void {
    this.#parts.backoff.retryNow()
  }

  /** Entries not yet applied to gv0, parents first. */
  candidates(): UpperEntry[] {
    return this.#parts.pending.candidates()
  }

  /** Published names that left upper without a whiteout (PendingView.vanished). */
  vanished(): Bytes[] {
    return this.#parts.pending.vanished()
  }

  /** What keeps `flush --wait` from finishing that waiting cannot fix (PendingView.stuck). */
  stuck(): string[] | null {
    return this.#parts.pending.stuck()
  }

  pending(): PendingSummary {
    return this.#parts.pending.summary()
  }

  #changesBefore = 0
  #running: PassSummary | null = null

  /**
   * Entries published or deleted in gv0 by this process's passes (the daemon's, flush's alike), counting
   * the pass under way entry by entry: read without the lock.
   */
  get gv0Changes(): number {
    return this.#changesBefore + (this.#running ? this.#running.published + this.#running.deleted : 0)
  }

  /** Publishes every quiescent pending entry once; errors never escape (see runPass). */
  async pass(opts: { settleMs?: number } = {}): Promise<PassSummary> {
    const sum = emptySummary()
    this.#running = sum
    try {
      return await runPass(this.#parts, opts.settleMs ?? this.cfg.settleSeconds * 1000, sum)
    } finally {
      this.#running = null
      this.#changesBefore += sum.published + sum.deleted
    }
  }

  /** Removes this host's temporaries left by a crash, in every lower dir that mirrors an upper dir. */
  async removeStaleTemps(): Promise<number> {
    const dirs: Bytes[] = ['']
    for (const e of this.#parts.index.entries.values()) if (e.kind === 'd') dirs.push(e.rel)
    const lower = new SafeTree(this.lower, 'gv0')
    let n: number
    try {
      n = await removeStaleTemps(lower, dirs, this.cfg.host)
    } finally {
      lower.close()
    }
    if (n) this.#parts.log(`removed ${n} stale temporary file(s) in gv0`)
    return n
  }

  // errors, for reclaim and evict

  reportError(key: string, message: string): void {
    this.#parts.errors.note(key, message)
  }

  clearError(key: string): void {
    this.#parts.errors.clear(key)
  }
}
