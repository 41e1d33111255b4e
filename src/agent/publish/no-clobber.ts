// Publishing next to the other host's creations. gv0's FUSE client has no RENAME_NOREPLACE, but
// link(temp, name) fails with EEXIST instead of replacing: a name expected to be free is taken that
// way, and a name the other host took meanwhile keeps its file while the local one becomes a conflict copy.
import { baseName, joinRel, parentRel, type Bytes } from '../fs/paths.ts'
import type { PublishContext } from './publish-context.ts'
import { bornMs, type UpperEntry } from '../watch/scan.ts'
import { sameTime, type LowerId } from '../fs/entry-identity.ts'
import { gfidIno, mdataTimes } from '../fs/gluster-brick.ts'
import type { PublishRecord } from '../state/state-store.ts'
import { conflictName } from './conflicts.ts'
import type { Xattrs } from '../fs/xattrs.ts'

/** Clocks of the two hosts (gv0's ctimes come from the other one) may disagree by this much. */
const CLOCK_SKEW_MS = 10_000

/** Dentry drops this process remembers: days of them at the usual intervals. */
const KEEP_DROPS = 20_000

/**
 * The dentry drops this process made, in order. A negative dentry that hid a gv0 name at some moment was
 * cached after the last drop before it: that drop bounds how long before an entry's birth a name the
 * other host created could have stayed invisible. Without a drop before the birth (drops off, the
 * daemon down then, an offline merge) a negative dentry lives until memory pressure evicts it: no bound.
 */
export class DentryDrops {
  private readonly times: number[] = []

  note(at: number): void {
    if (this.times.length && at < this.times[this.times.length - 1]) return
    this.times.push(at)
    if (this.times.length > KEEP_DROPS) this.times.splice(0, this.times.length - KEEP_DROPS)
  }

  /** How long before `bornMs` a stale negative dentry may have hidden a gv0 name (clock skew included). */
  staleMs(bornMs: number): number {
    let lo = 0
    let hi = this.times.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (this.times[mid] <= bornMs) lo = mid + 1
      else hi = mid
    }
    return lo === 0 ? Infinity : bornMs - this.times[lo - 1] + CLOCK_SKEW_MS
  }
}

/**
 * A copy-up: overlayfs marks it with its origin (an empty one when the lower has no file handles), but
 * not when the lower file has several links (index=off: "breaking the association with a lower hard
 * link"), which every file on a brick has (its gfid link). Those carry the brick's trusted.gfid instead,
 * which nothing made through the union can have.
 */
export function isCopyUp(x: Xattrs | null | undefined): boolean {
  return (x?.has('trusted.overlay.origin') || x?.has('trusted.gfid')) ?? false
}

/**
 * For gv0's entry at a name this host has no record of: was it there without the union ever showing
 * it? A copy-up saw gv0's entry (it copied it), so only a change after the copy-up counts. A fresh
 * upper entry (create, or rename over the name) may have been made while the union still cached "no
 * such name" from before the other host created it: the dentry drop bounds how long that lasts, so a
 * gv0 entry younger than that at the local entry's birth may never have been seen, and is kept.
 */
export function unseenByUnion(ctx: PublishContext, e: UpperEntry, id: LowerId | null, x: Xattrs | null | undefined): boolean {
  if (id === null || ctx.state.isOurs(e.rel, id)) return false
  const born = bornMs(e)
  if (!isCopyUp(x)) return id.c > seenUpTo(ctx, born)
  return copiedOtherVersion(x, id) || id.c > born
}

/**
 * A copy-up from the brick (union_lower brick) carries gluster's trusted.gfid and, with features.ctime,
 * trusted.glusterfs.mdata of the version it copied: a gv0 entry with another inode (gfid) or, for a
 * non-directory, another ctime is not what the union showed. A stale dentry of the brick can show a
 * version the other host replaced seconds before the copy-up, so the copy-up's time alone would not do.
 */
export function copiedOtherVersion(x: Xattrs | null | undefined, id: LowerId): boolean {
  const ino = gfidIno(x?.get('trusted.gfid'))
  if (ino !== null && ino !== id.i) return true
  const times = id.k === 'd' ? null : mdataTimes(x?.get('trusted.glusterfs.mdata'))
  return times !== null && !sameTime(times.ctimeMs, id.c)
}

/**
 * gv0 changes after this time may still have been hidden from the union when a local entry was made at
 * `bornMs` (a stale negative dentry, clock skew): the reference for names this host has no record of,
 * whenever the local entry replaces or removes what gv0 holds there. -Infinity when nothing bounds it.
 */
export function seenUpTo(ctx: PublishContext, bornMs: number): number {
  return bornMs - ctx.staleDentryMs(bornMs)
}

/**
 * gv0 holds a directory where this host's record is only a reclaimed baseline and upper now has a
 * non-directory. Directories compare by inode alone, which one the other host removed and made again may
 * reuse, and with upper's directory gone the union may have cached "no such name" in between: the
 * record then says nothing about what the union showed, so the directory is judged like a name
 * without a record. (While upper held the directory, the union showed gv0's entries in it.)
 */
export function reclaimedDirUnseen(ctx: PublishContext, e: UpperEntry, rec: PublishRecord, id: LowerId | null): boolean {
  return rec.r === 1 && id?.k === 'd' && unseenByUnion(ctx, e, id, null)
}

/** A conflict name for `rel` in its own directory, stamped with this host and now (+ `bumpS` seconds). */
export function conflictRel(ctx: PublishContext, rel: Bytes, bumpS = 0): Bytes {
  const when = new Date(ctx.now().getTime() + bumpS * 1000)
  return joinRel(parentRel(rel), conflictName(baseName(rel), ctx.host, when))
}

const NO_LINKS = new Set(['EPERM', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK'])

/**
 * Gives the staged temp the name `dest` only if that name is free, and drops the temp name. False:
 * the name is taken (the temp stays). A gv0 without hard links falls back to a rename, which is no
 * worse than before: the caller checked the name was free just before.
 */
export async function linkIntoPlace(ctx: PublishContext, tmp: Bytes, dest: Bytes): Promise<boolean> {
  try {
    await ctx.lowerFs.link(tmp, dest)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? ''
    if (code === 'EEXIST') return false
    if (!NO_LINKS.has(code)) throw err
    ctx.warnOnce('no-link', `gv0 refuses hard links (${code}): first publishes use rename, which cannot refuse a name the other host just took`)
    await ctx.lowerFs.rename(tmp, dest)
    return true
  }
  await ctx.lowerFs.unlink(tmp)
  return true
}

/** Places the staged temp under a fresh conflict name of `rel` (a later stamp when one is taken). */
export async function linkAsConflict(ctx: PublishContext, rel: Bytes, tmp: Bytes): Promise<Bytes> {
  for (let bump = 0; bump < 60; bump++) {
    const target = conflictRel(ctx, rel, bump)
    if (await linkIntoPlace(ctx, tmp, target)) return target
  }
  const err: NodeJS.ErrnoException = new Error(`no free conflict name for ${baseName(rel)}`)
  err.code = 'EEXIST'
  throw err
}
