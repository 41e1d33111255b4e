// Publishing next to the other host's creations. gv0's FUSE client has no RENAME_NOREPLACE, but
// link(temp, name) fails with EEXIST instead of replacing: a name expected to be free is taken that
// way, and a name the other host took meanwhile keeps its file while the local one becomes a conflict copy.
import { baseName, joinRel, parentRel, type Bytes } from '../fs/paths.ts'
import { seenUpTo, type PublishContext } from './publish-context.ts'
import { bornMs, type UpperEntry } from '../watch/scan.ts'
import { sameTime, type LowerId } from '../fs/entry-identity.ts'
import { gfidIno, mdataTimes } from '../fs/gluster-brick.ts'
import type { PublishRecord } from '../state/state-store.ts'
import type { Intent } from '../state/records.ts'
import { conflictName } from './conflicts.ts'
import { crashPoint } from '../core/crash-points.ts'
import { isOpaque, readXattrs, type Xattrs } from '../fs/xattrs.ts'

/**
 * File times come from the kernel's coarse clock, up to a tick behind the wall clock: a drop is dated
 * this much earlier, so a change right after it never looks older than it.
 */
export const FS_TICK_MS = 20

/** Dentry drops this process remembers: days of them at the usual intervals. */
const KEEP_DROPS = 20_000

/** Drops that held names back: kept with the names they held back, the latest this many. */
const KEEP_HELD = 2_000

/** The first component of a relative path: every name below it is looked up through that directory. */
const topOf = (rel: Bytes) => {
  const i = rel.indexOf('/')
  return i < 0 ? rel : rel.slice(0, i)
}

/**
 * The dentry drops this process made and the union's mounts it saw, in order. A stale lookup (a negative
 * dentry that hid a gv0 name, a positive one that kept showing a replaced version) that the union used at
 * some moment was cached after the last drop or mount before it: that bounds how long before an entry's
 * birth a change the other host made could have stayed invisible. Without one before the birth (drops
 * off, the daemon down then) a dentry lives until memory pressure evicts it: no bound.
 *
 * A drop frees only dentries nothing holds (dentries.ts, dropUnionDentries): over a lower that never
 * revalidates, a name held open then, or any name below the same top-level directory (held through the
 * parent links, that directory may itself be one the other host replaced), kept what it showed. For those
 * names such a drop does not count.
 */
export class DentryDrops {
  private readonly times: number[] = []
  /** the top-level directories (or names) each such drop held back */
  private readonly held = new Map<number, Set<Bytes>>()

  /** `skewMs`: how far gv0's ctimes (the other host's clock) may be off this host's clock */
  constructor(private readonly skewMs: number) {}

  note(at: number, held: ReadonlySet<Bytes> | null = null): void {
    if (!(at > 0)) return
    let i = this.times.length
    while (i > 0 && this.times[i - 1] > at) i--
    const known = i > 0 && this.times[i - 1] === at
    if (known && !held?.size) return
    if (!known) this.times.splice(i, 0, at)
    if (held?.size) {
      this.held.set(at, new Set([...(this.held.get(at) ?? []), ...[...held].map(topOf)]))
      // a drop whose held names are forgotten would count for every name: it goes with them
      while (this.held.size > KEEP_HELD) this.forget(this.held.keys().next().value as number)
    }
    while (this.times.length > KEEP_DROPS) this.forget(this.times[0])
  }

  private forget(at: number): void {
    const i = this.times.indexOf(at)
    if (i >= 0) this.times.splice(i, 1)
    this.held.delete(at)
  }

  /**
   * The latest `n` drops and mounts, to be saved: a later process may count on them too. Not those that held
   * names back: a later process would take them for drops that refreshed every name.
   */
  recent(n: number): number[] {
    return this.times.filter((t) => !this.held.has(t)).slice(-n)
  }

  /** How long before `bornMs` a stale dentry may have hidden a gv0 change at `rel` (clock skew included). */
  staleMs(bornMs: number, rel?: Bytes): number {
    let lo = 0
    let hi = this.times.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (this.times[mid] <= bornMs) lo = mid + 1
      else hi = mid
    }
    const top = rel === undefined ? undefined : topOf(rel)
    while (lo > 0 && top !== undefined && this.held.get(this.times[lo - 1])?.has(top)) lo--
    return lo === 0 ? Infinity : bornMs - this.times[lo - 1] + this.skewMs
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
 * it? Whatever stood at the name when the local entry was made, the union may have shown a stale
 * lookup of it: a negative dentry hides a name the other host created, a positive one keeps showing a
 * version it replaced (or a directory it made a file), and a copy-up copies that stale version. The
 * dentry drop bounds how long either lasts, so a gv0 change later than that before the local entry's
 * birth may never have been seen, and is kept. A copy-up of another kind than gv0's entry (a directory
 * copied up where gv0 now has a file) surely did not see it, nor did a union that showed a directory
 * replaced here above the name, when gv0's entry changed after the replacement (madeBehindOpaque).
 */
export async function unseenByUnion(ctx: PublishContext, e: UpperEntry, id: LowerId | null, x: Xattrs | null | undefined): Promise<boolean> {
  if (id === null || ctx.state.isOurs(e.rel, id)) return false
  if (isCopyUp(x) && (id.kind !== e.kind || copiedOtherVersion(x, id))) return true
  return id.ctimeMs > seenUpTo(ctx, bornMs(e), e.rel) || (await madeBehindOpaque(ctx, e.rel, id.ctimeMs))
}

/**
 * Whether gv0's entry at `rel`, changed at `changedMs`, changed after a directory above it was replaced here
 * (made opaque in upper). The union shows none of gv0's entries below an opaque directory, from its making (a
 * directory made over a delete) until reclaim removes it from upper; it is never made opaque later. So a gv0
 * change below one since its birth (less clock skew) was never seen, whatever dentry drops came since; an older
 * one the union may have shown before the replacement (this host's own directory, say). Without a birth time
 * every change counts as unseen.
 */
export async function madeBehindOpaque(ctx: PublishContext, rel: Bytes, changedMs: number): Promise<boolean> {
  const above: Bytes[] = []
  for (let dir = parentRel(rel); dir !== ''; dir = parentRel(dir)) above.push(dir)
  if (above.length === 0) return false
  const xs = await readXattrs(ctx.upperFs, above)
  for (let i = 0; i < above.length; i++) {
    if (!isOpaque(xs[i])) continue
    const born = (await ctx.upperFs.lstatOrNull(above[i]))?.birthtimeMs
    if (!born) return true
    const hidden = Math.min(born, ctx.state.get(above[i])?.hiddenSinceMs ?? born)
    if (changedMs > hidden - ctx.clockSkewMs) return true
  }
  return false
}

/**
 * A copy-up from the brick (union_lower brick) carries gluster's trusted.gfid and, with features.ctime,
 * trusted.glusterfs.mdata of the version it copied: a gv0 entry with another inode (gfid) or, for a
 * non-directory, another ctime is not what the union showed. A stale dentry of the brick can show a
 * version the other host replaced seconds before the copy-up, so the copy-up's time alone would not do.
 */
export function copiedOtherVersion(x: Xattrs | null | undefined, id: LowerId): boolean {
  const ino = gfidIno(x?.get('trusted.gfid'))
  if (ino !== null && ino !== id.ino) return true
  const times = id.kind === 'd' ? null : mdataTimes(x?.get('trusted.glusterfs.mdata'))
  return times !== null && !sameTime(times.ctimeMs, id.ctimeMs)
}

/**
 * gv0 holds a directory where this host's record is only a reclaimed baseline and upper now has a
 * non-directory. Directories compare by inode alone, which one the other host removed and made again may
 * reuse, and with upper's directory gone the union may have cached "no such name" in between: the
 * record then says nothing about what the union showed, so the directory is judged like a name
 * without a record. (While upper held the directory, the union showed gv0's entries in it.)
 */
export async function reclaimedDirUnseen(ctx: PublishContext, e: UpperEntry, rec: PublishRecord, id: LowerId | null): Promise<boolean> {
  return rec.reclaimed === true && id?.kind === 'd' && (await unseenByUnion(ctx, e, id, null))
}

/** A conflict name for `rel` in its own directory, stamped with this host and now (+ `bumpS` seconds). */
export function conflictRel(ctx: PublishContext, rel: Bytes, bumpS = 0): Bytes {
  const when = new Date(ctx.now().getTime() + bumpS * 1000)
  return joinRel(parentRel(rel), conflictName(baseName(rel), ctx.host, when))
}

const NO_LINKS = new Set(['EPERM', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK'])

/**
 * Gives the staged temp the name `dest` only if that name is free, and drops the temp name. False:
 * the name is taken (the temp stays). A gv0 without hard links falls back to a look and a rename,
 * which only a creation in between can race.
 */
export async function linkIntoPlace(ctx: PublishContext, tmp: Bytes, dest: Bytes): Promise<boolean> {
  try {
    await ctx.lowerFs.link(tmp, dest)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? ''
    if (code === 'EEXIST') return false
    if (!NO_LINKS.has(code)) throw err
    ctx.warnOnce('no-link', `gv0 refuses hard links (${code}): first publishes use rename, which cannot refuse a name the other host just took`)
    // the caller may not have looked (first-publish.ts): a rename must not replace what is there
    if ((await ctx.lowerFs.lstatOrNull(dest)) !== null) return false
    await ctx.lowerFs.rename(tmp, dest)
    return true
  }
  crashPoint('publish:linked-before-temp-unlink')
  await ctx.lowerFs.unlink(tmp)
  return true
}

/** Places the staged temp under a fresh conflict name of `rel` (a later stamp when one is taken). */
export async function linkAsConflict(ctx: PublishContext, rel: Bytes, tmp: Bytes, staged?: Intent): Promise<Bytes> {
  for (let bump = 0; bump < 60; bump++) {
    const target = conflictRel(ctx, rel, bump)
    if (staged) ctx.state.noteIntent(target, { ...staged, of: rel })
    if (await linkIntoPlace(ctx, tmp, target)) return target
  }
  const err: NodeJS.ErrnoException = new Error(`no free conflict name for ${baseName(rel)}`)
  err.code = 'EEXIST'
  throw err
}
