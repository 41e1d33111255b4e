// What is still to do in gv0: pending entries, vanished names, why they wait, and what waiting cannot fix.
import { baseName, depthOf, fromBytes, parentRel, type Bytes } from '../fs/paths.ts'
import { isTempName } from '../publish/temp-files.ts'
import type { PublishRecord, StateStore } from '../state/state-store.ts'
import type { UpperEntry, UpperIndex } from '../watch/scan.ts'
import type { Backoffs } from './backoff.ts'
import type { ErrorRegistry } from './errors.ts'

export interface PendingSummary {
  entries: number
  bytes: number
  oldestAgeSeconds: number | null
  /** why some entries are still pending (first few) */
  reasons: string[]
}

/** True when an upper entry needs no further work in gv0. */
export function isDone(e: UpperEntry, rec: PublishRecord | undefined): boolean {
  if (!rec || rec.reclaimed) return false
  switch (e.kind) {
    case 'd':
      return rec.kind === 'd' && rec.ino === e.ino && rec.ctimeMs === e.ctimeMs
    case 'w':
      return rec.kind === 'w' && rec.ino === e.ino
    case 'f':
      if (rec.kind === 'w' && e.size === 0 && rec.ino === e.ino) return true
      return rec.kind === 'f' && rec.ino === e.ino && rec.size === e.size && rec.mtimeMs === e.mtimeMs && rec.ctimeMs === e.ctimeMs
    case 'l':
      return rec.kind === 'l' && rec.ino === e.ino && rec.mtimeMs === e.mtimeMs && rec.ctimeMs === e.ctimeMs
    default:
      return true
  }
}

export class PendingView {
  /** why an entry was not published in the last pass */
  readonly notReady = new Map<Bytes, string>()
  /** entries the last candidates() left out as never published (FIFOs, names like temporaries): the union shows them all the same */
  unpublished: UpperEntry[] = []
  private readonly unsupportedReported = new Set<Bytes>()
  /** the summary of the last complete index, answered while a full walk is under way */
  private lastSummary: PendingSummary | null = null

  constructor(
    private readonly index: UpperIndex,
    private readonly state: StateStore,
    private readonly errors: ErrorRegistry,
    private readonly backoff: Backoffs,
  ) {}

  /** Entries not yet applied to gv0, parents first. */
  candidates(): UpperEntry[] {
    const out: UpperEntry[] = []
    const reported = new Set<Bytes>()
    for (const [rel, why] of this.index.problems) {
      reported.add(rel)
      if (this.unsupportedReported.has(rel)) continue
      this.unsupportedReported.add(rel)
      this.errors.note(`unreadable:${rel}`, `${fromBytes(rel)}: ${why}`)
    }
    this.unpublished = []
    for (const e of this.index.entries.values()) {
      if (e.kind === 'other') {
        this.unpublished.push(e)
        reported.add(e.rel)
        if (!this.unsupportedReported.has(e.rel)) {
          this.unsupportedReported.add(e.rel)
          this.errors.note(`unsupported:${e.rel}`, `${fromBytes(e.rel)}: sockets, FIFOs and device nodes are not published`)
        }
        continue
      }
      if (isTempName(baseName(e.rel))) {
        // a temporary shown through the union: publishing or deleting it could hit a publish in flight
        this.unpublished.push(e)
        reported.add(e.rel)
        if (!this.unsupportedReported.has(e.rel)) {
          this.unsupportedReported.add(e.rel)
          this.errors.note(`temp:${e.rel}`, `${fromBytes(e.rel)}: named like a publish temporary: not published`)
        }
        continue
      }
      if (!isDone(e, this.state.get(e.rel))) out.push(e)
    }
    // an entry reported above that is gone (or readable, or renamed) no longer keeps status unhealthy; not
    // while a walk has filled the index only in part (a status between its steps would forget every error)
    if (!this.index.walking) this.clearErrorsOfGone(reported)
    return out.sort((a, b) => depthOf(a.rel) - depthOf(b.rel))
  }

  private clearErrorsOfGone(reported: Set<Bytes>): void {
    this.errors.clearEntriesGone((rel) => this.index.entries.has(rel) || this.state.get(rel) !== undefined)
    for (const rel of this.unsupportedReported) {
      if (reported.has(rel)) continue
      this.unsupportedReported.delete(rel)
      for (const kind of ['unreadable', 'unsupported', 'temp']) this.errors.clear(`${kind}:${rel}`)
    }
  }

  /**
   * Published names that left upper without a whiteout. overlayfs deletes without a whiteout when
   * it believes the lower layer has no such name, which is the case in a directory that was
   * upper-only when looked up, even after its contents were published: the delete must still
   * reach gv0. A replaced cache (new upper dir) is detected in Agent.open() and never counts.
   */
  vanished(): Bytes[] {
    const out: Bytes[] = []
    for (const [rel, rec] of this.state.records) {
      if (rec.reclaimed || rec.kind === 'w') continue
      if (!this.index.entries.has(rel) && !this.unreadable(rel)) out.push(rel)
    }
    return out.sort((a, b) => depthOf(b) - depthOf(a))
  }

  /**
   * What keeps `flush --wait` from finishing that waiting cannot fix: pending entries whose last attempt
   * failed or that are backed off, and entries of a kind that is never published. Null while anything
   * else is still pending (settling, open, not reached yet) or gv0 as a whole is not taking writes.
   */
  stuck(): string[] | null {
    if (this.backoff.global) return null
    const out: string[] = []
    const failed = (why: string | undefined) => why !== undefined && (why.startsWith('failed: ') || why.startsWith('retrying later: '))
    for (const e of this.candidates()) {
      const why = this.notReady.get(e.rel)
      if (!failed(why)) return null
      out.push(`${fromBytes(e.rel)}: ${why}`)
    }
    for (const rel of this.vanished()) {
      const why = this.notReady.get(rel)
      if (!failed(why)) return null
      out.push(`${fromBytes(rel)}: ${why}`)
    }
    for (const e of this.index.entries.values()) {
      if (e.kind === 'other') out.push(`${fromBytes(e.rel)}: sockets, FIFOs and device nodes are not published`)
    }
    for (const [rel, why] of this.index.problems) out.push(`${fromBytes(rel)}: ${why}`)
    return out
  }

  /** True when the walk could not read `rel` or a directory above it: its absence from the index means nothing. */
  private unreadable(rel: Bytes): boolean {
    const problems = this.index.problems
    if (problems.size === 0) return false
    for (let r = rel; ; r = parentRel(r)) {
      if (problems.has(r)) return true
      if (r === '') return false
    }
  }

  /**
   * Pending entries, bytes and the oldest change, as status reports them. While a full walk has filled the
   * index only in part, the summary of the last complete index: the part would count too few candidates and
   * take every published entry not walked yet for vanished.
   */
  summary(): PendingSummary {
    if (this.index.walking && this.lastSummary) return this.lastSummary
    this.lastSummary = this.computeSummary()
    return this.lastSummary
  }

  private computeSummary(): PendingSummary {
    let entries = this.vanished().length
    let bytes = 0
    let oldest = Infinity
    for (const e of this.candidates()) {
      entries++
      if (e.kind === 'f') bytes += e.size
      oldest = Math.min(oldest, e.ctimeMs)
    }
    const reasons: string[] = []
    if (this.backoff.global) reasons.push(this.backoff.global.message)
    for (const [rel, why] of this.notReady) {
      if (reasons.length >= 5) break
      reasons.push(`${fromBytes(rel)}: ${why}`)
    }
    return { entries, bytes, oldestAgeSeconds: entries ? Math.max(0, (Date.now() - oldest) / 1000) : null, reasons }
  }
}
