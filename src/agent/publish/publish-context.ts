// What every apply step needs: both roots, the state store, and where conflicts are reported.
import type { Bytes } from '../fs/paths.ts'
import type { ConflictReport, PublishRecord, StateStore } from '../state/state-store.ts'
import { sameLower, type LowerId } from '../fs/entry-identity.ts'
import type { SafeTree } from '../fs/safe-fs.ts'
import type { NameLocks } from '../fs/name-locks.ts'
import type { UpperEntry } from '../watch/scan.ts'

export interface PublishContext {
  upper: Bytes
  lower: Bytes
  /** every path operation in gv0 and upper goes through these: no symlink in a path is followed */
  lowerFs: SafeTree
  upperFs: SafeTree
  /** taken around the last look at a name gv0 holds and the change or removal that follows (name-locks.ts) */
  names: NameLocks
  host: string
  /** how long before `bornMs` a stale dentry may have hidden gv0's entry at `rel` from the union (no-clobber.ts) */
  staleDentryMs(bornMs: number, rel: Bytes): number
  /** how far gv0's ctimes (the other host's clock) may be off this host's clock (`clockSkewSeconds`) */
  clockSkewMs: number
  state: StateStore
  now(): Date
  report(c: ConflictReport): void
  /** upper names of an inode that has several (hard links), as this pass's index shows them */
  namesOf(ino: number): Bytes[]
  /** reports a lasting problem that does not stop publishing, once per key (log and status) */
  warnOnce(key: string, message: string): void
  /**
   * Birth of the upper entry (copy-up or create) the agent saw at a name it has no record of: from
   * then on the union showed that entry, not gv0's (undefined when it saw none)
   */
  upperShownSince(rel: Bytes): number | undefined
  /** when the union may have stopped showing gv0's directory at the name of `e`, a directory made over a delete (observations.ts) */
  replacedAfterMs(e: UpperEntry): number
  /** why the upper file is open for writing right now (a look at /proc at most milliseconds old), or null */
  busy(rel: Bytes): Promise<string | null>
  /** the upload limit: copies into gv0 read at most `chunk(max)` bytes at a time and `take` each before writing */
  uplink?: { chunkBytes(max: number): number; take(n: number): Promise<void>; copyEnded(n: number): void }
}

/**
 * gv0 changes after this time may still have been hidden from the union when a local entry was made at
 * `bornMs` (a stale negative dentry, clock skew): the reference for names this host has no record of,
 * whenever the local entry replaces or removes what gv0 holds there. -Infinity when nothing bounds it.
 */
export function seenUpTo(ctx: PublishContext, bornMs: number, rel: Bytes): number {
  return bornMs - ctx.staleDentryMs(bornMs, rel)
}

/**
 * Did gv0 change since this host last saw the name? Without a record, anything newer than `refMs`
 * counts, or than the moment the union stopped showing gv0's entry there if earlier, and the union may
 * have shown a stale lookup since the last dentry drop before that (no-clobber.ts). An entry this host
 * renamed into place just before a crash is not a remote change. Since a delete here the union has shown
 * the name as gone: whatever gv0 holds there (also an entry the delete kept) was never seen. Likewise
 * since a conflict: the union has shown the local version there, and gv0's (the other host's) never.
 */
export function remoteChanged(ctx: PublishContext, rel: Bytes, now: LowerId | null, refMs: number): boolean {
  if (ctx.state.isOurs(rel, now)) return false
  const rec: PublishRecord | undefined = ctx.state.get(rel)
  if (rec?.kind === 'w' || rec?.conflictPath) return now !== null
  if (rec) return !sameLower(now, rec.lower)
  return now !== null && now.ctimeMs > seenUpTo(ctx, Math.min(refMs, ctx.upperShownSince(rel) ?? Infinity), rel)
}
