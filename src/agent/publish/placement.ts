// Where a local version lands in gv0 and how it gets there: its own name or a conflict name, the last
// checks before the rename (upper unchanged, no new writer, gv0 unchanged), and the record afterwards.
import type { Stats } from 'node:fs'
import { crashPoint } from '../core/crash-points.ts'
import { lowerId, sameLower, sameTime, type LowerId } from '../fs/entry-identity.ts'
import { baseName, fromBytes, joinRel, parentRel, type Bytes } from '../fs/paths.ts'
import { remoteChanged, type PublishContext } from './publish-context.ts'
import { removeLower } from './remove-lower.ts'
import { bornMs, type UpperEntry } from '../watch/scan.ts'
import type { PublishRecord } from '../state/state-store.ts'
import { tempName } from './temp-files.ts'
import { conflictRel, linkAsConflict, linkIntoPlace, reclaimedDirUnseen, unseenByUnion } from './no-clobber.ts'
import type { Xattrs } from '../fs/xattrs.ts'
import { sameBytesAsGv0 } from './content-digest.ts'
import { underNameLock } from '../fs/name-locks.ts'

export type Outcome =
  | { result: 'published'; bytes: number; target: Bytes }
  | { result: 'already' }
  | { result: 'conflict'; bytes: number; target: Bytes }
  | { result: 'changed'; reason: string }

function sameUpper(a: UpperEntry, b: { ino: number; size: number; mtimeMs: number; ctimeMs: number }): boolean {
  return a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs
}

export function record(e: UpperEntry, L: PublishRecord['lower'], extra: Partial<PublishRecord> = {}): PublishRecord {
  const k = e.kind === 'other' ? 'f' : e.kind
  return { kind: k, ino: e.ino, size: e.size, mtimeMs: e.mtimeMs, ctimeMs: e.ctimeMs, lower: L, publishedAt: Date.now(), ...extra }
}

/** This host's temporary name for `target`, in the same gv0 directory (so the rename is atomic). */
export function tempFor(ctx: PublishContext, target: Bytes): Bytes {
  return joinRel(parentRel(target), tempName(ctx.host, baseName(target)))
}

/** Where the local version goes, and (for its own name) gv0's entry there, to compare again before the rename. */
export interface Target {
  target: Bytes
  conflict: boolean
  /** gv0's identity at `target` when publishing started; undefined for a conflict copy */
  before?: LowerId | null
  /** the temporary as it was renamed or linked into place */
  staged?: Staged
}

type Staged = { ino: number; size: number; mtimeMs: number }

/**
 * gv0's entry at `target` right after it was placed, as the record will hold it. The other host may
 * have replaced or changed it between the rename and this look: what is there then is not this
 * host's version, so the record keeps the staged one, with a ctime nothing matches (a remote change).
 */
function placedAs(now: LowerId | null, staged: Staged | undefined): LowerId | null {
  if (!staged) return now
  if (now && now.ino === staged.ino && now.size === staged.size && sameTime(now.mtimeMs, staged.mtimeMs)) return now
  return { kind: now?.kind ?? 'f', ino: staged.ino, size: staged.size, mtimeMs: staged.mtimeMs, ctimeMs: -1 }
}

/**
 * Where later local versions go once this name is in conflict: the same conflict copy while gv0 still
 * holds it as this host wrote it, a new one when the other host edited (or removed) it.
 */
async function conflictTarget(ctx: PublishContext, rel: Bytes, x: Bytes, X: LowerId | null | undefined): Promise<Target> {
  if (X === undefined) return { target: x, conflict: true } // recorded before copies were checked
  const now = lowerId(await ctx.lowerFs.lstatOrNull(x))
  // this host's own rename there, cut off by a crash before the record, is no edit of the other host
  if (now !== null && (sameLower(now, X) || ctx.state.isOurs(x, now))) return { target: x, conflict: true, before: now }
  return { target: conflictRel(ctx, rel), conflict: true, before: null }
}

/**
 * Decides where the local version goes: its own name, or a conflict name when gv0 changed too.
 * A name this host has no record of counts as changed when the union may never have shown gv0's
 * entry there (no-clobber.ts). A non-matching entry in the way (e.g. a directory where a file now
 * is) is removed when unchanged.
 */
export async function chooseTarget(ctx: PublishContext, e: UpperEntry, wantDir: boolean, known?: Stats | null, x?: Xattrs | null): Promise<Target> {
  const rec = ctx.state.get(e.rel)
  if (rec?.conflictPath) return await conflictTarget(ctx, e.rel, rec.conflictPath, rec.conflictLower)
  const st = known !== undefined ? known : await ctx.lowerFs.lstatOrNull(e.rel)
  const id = lowerId(st)
  const ref = bornMs(e)
  const typeClash = st !== null && st.isDirectory() !== wantDir
  let changed = rec ? remoteChanged(ctx, e.rel, id, ref) || (typeClash && (await reclaimedDirUnseen(ctx, e, rec, id))) : await unseenByUnion(ctx, e, id, x)
  // gv0 holds these very bytes with this mode: whatever the union showed, replacing them loses nothing
  if (changed && !rec && e.kind === 'f' && st?.isFile() && st.size === e.size && (st.mode & 0o7777) === (e.mode & 0o7777)) {
    changed = (await sameBytesAsGv0(ctx, e, e.rel)) === null
  }
  if (changed && !(wantDir && st?.isDirectory())) {
    return { target: conflictRel(ctx, e.rel), conflict: true, before: null }
  }
  if (typeClash) {
    // the union may have hidden gv0's directory since a stale "no such name" (a reclaimed record's
    // inode may even be reused): what changed below it within that window was never seen here
    const kept = await removeLower(ctx, e.rel, ref, 'replaced by a different kind of entry on this host')
    if (kept.length > 0) {
      return { target: conflictRel(ctx, e.rel), conflict: true, before: null }
    }
    // lower changed under us: whatever is there now is the baseline the rename checks against
    return { target: e.rel, conflict: false, before: lowerId(await ctx.lowerFs.lstatOrNull(e.rel)) }
  }
  return { target: e.rel, conflict: false, before: id }
}

async function recheck(ctx: PublishContext, e: UpperEntry): Promise<string | null> {
  try {
    const now = await ctx.upperFs.lstat(e.rel)
    if (!sameUpper(e, now)) return 'changed during publish'
  } catch {
    return 'vanished during publish'
  }
  // a writer that opened it since the pass looked, and has not changed its size or times yet
  return e.kind === 'f' ? await ctx.busy(e.rel) : null
}

function reportConflict(ctx: PublishContext, e: UpperEntry, target: Bytes, oldCopy?: Bytes): void {
  const why = oldCopy
    ? `its conflict copy ${fromBytes(baseName(oldCopy))} changed in gv0`
    : 'changed here and in gv0 since this host last saw it'
  ctx.report({
    time: ctx.now().toISOString(),
    path: fromBytes(e.rel),
    kind: 'modified-both',
    localCopy: fromBytes(target),
    message: `${why}: local version published as ${fromBytes(baseName(target))}`,
  })
}

/**
 * Moves a staged temp to the target unless upper changed meanwhile (the temp is then removed), and
 * answers where it went. The intent is noted first, so a crash right after does not look like a
 * remote change. A name that was free (`before` null) is taken with link(2), which never replaces:
 * when the other host took it meanwhile, its file stays and the local version becomes a conflict
 * copy. A target that changed in gv0 since `before` is not overwritten: the entry is published again
 * later, and chooseTarget then sees the remote change and makes it a conflict. `ifTaken`: the name was
 * not looked up before (first-publish.ts); when it is taken, this decides where the temp goes instead.
 */
export async function renameIntoPlace(ctx: PublishContext, e: UpperEntry, tmp: Bytes, chosen: Target, ifTaken?: () => Promise<Target>): Promise<Outcome | Target> {
  const { target, conflict, before } = chosen
  const changed = await recheck(ctx, e)
  if (changed) {
    await ctx.lowerFs.unlink(tmp)
    return { result: 'changed', reason: changed }
  }
  const st = await ctx.lowerFs.lstat(tmp)
  const staged = { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs }
  ctx.state.noteIntent(conflict ? target : e.rel, conflict ? { ...staged, of: e.rel } : staged)
  crashPoint('publish:before-place')
  if (before === null) {
    if (await linkIntoPlace(ctx, tmp, target)) {
      crashPoint(conflict ? 'publish:conflict-placed' : 'publish:after-place')
      return { ...chosen, staged }
    }
    // a name taken without a look first (first-publish.ts): decide now what a lookup would have decided
    if (ifTaken) return await renameIntoPlace(ctx, e, tmp, await ifTaken())
    const copy = await linkAsConflict(ctx, e.rel, tmp, staged)
    crashPoint('publish:conflict-placed')
    return { target: copy, conflict: true, before: null, staged }
  }
  // a rename replaces whatever is there: the last look and the rename go under the name's lock, which the
  // other agent takes too, and what the look shows then is no cached version it replaced (name-locks.ts)
  const gone = await underNameLock(ctx.names, target, async (changed) => {
    if (before !== undefined && !sameLower(lowerId(await ctx.lowerFs.lstatOrNull(target)), before)) {
      await ctx.lowerFs.unlink(tmp)
      return true
    }
    await ctx.lowerFs.rename(tmp, target)
    changed()
    return false
  })
  if (gone) return { result: 'changed', reason: 'gv0 changed during publish' }
  crashPoint(conflict ? 'publish:conflict-placed' : 'publish:after-place')
  return { ...chosen, staged }
}

/**
 * Records a placed entry; a conflict copy keeps gv0's baseline and its own identity, and is reported
 * whenever it is a new one.
 */
export async function recordPublish(
  ctx: PublishContext,
  e: UpperEntry,
  rec: PublishRecord | undefined,
  { target, conflict, staged }: Target,
  bytes: number,
  extra: Partial<PublishRecord> = {},
): Promise<Outcome> {
  const after = placedAs(lowerId(await ctx.lowerFs.lstatOrNull(target)), staged)
  if (conflict) {
    const base = rec?.conflictPath ? rec.lower : lowerId(await ctx.lowerFs.lstatOrNull(e.rel))
    ctx.state.set(e.rel, record(e, base, { ...extra, conflictPath: target, conflictLower: after }))
    for (const name of ctx.state.placedCopiesOf(e.rel)) ctx.state.forgetIntents(name)
    if (rec?.conflictPath !== target) reportConflict(ctx, e, target, rec?.conflictPath)
    return { result: 'conflict', bytes, target }
  }
  ctx.state.set(e.rel, record(e, after, extra))
  return { result: 'published', bytes, target }
}
