// A directory in gv0 with the upper dir's owner, mode, xattrs and ACLs; a non-directory in its way is moved
// aside when the union may not have shown it, and a directory the other host removed is made again.
import { constants, type Stats } from 'node:fs'
import { hasAcl, writeAcls } from '../fs/acls.ts'
import { lowerId } from '../fs/entry-identity.ts'
import { baseName, fromBytes, type Bytes } from '../fs/paths.ts'
import { remoteChanged, type PublishContext } from './publish-context.ts'
import { bornMs, type UpperEntry } from '../watch/scan.ts'
import type { PublishRecord } from '../state/state-store.ts'
import { dirMeta, dirMetaChangedHere, syncXattrs, xattrFields, xattrsChangedHere } from './meta-sync.ts'
import { unseenByUnion } from './no-clobber.ts'
import { moveAsideAsConflict } from './move-aside.ts'
import { isOpaque, writeUserXattrs, type Xattrs } from '../fs/xattrs.ts'
import { record, type Outcome } from './placement.ts'
import { underNameLock } from '../fs/name-locks.ts'

/** The upper ctime a directory's record holds while its replacement is not applied: no entry has it. */
export const UNAPPLIED = -1

/** A directory this host published is gone from gv0 (another host removed it) but changed here since. */
function reportRecreated(ctx: PublishContext, rel: Bytes): void {
  ctx.report({
    time: ctx.now().toISOString(),
    path: fromBytes(rel),
    kind: 'dir-recreated',
    message: 'removed in gv0 by another host, but entries in it changed here: made again to publish them',
  })
}

/**
 * For a directory this host has no record of, with a non-directory of gv0's at its name: could the union
 * have shown that entry? A directory made where the union showed an entry is made over the whiteout of
 * its delete, and overlayfs makes such a directory opaque. One that is not opaque was made where the union
 * showed nothing: gv0's entry was hidden from it (a stale "no such name", a copy-up of another kind)
 * whatever the dentry drops since say, and is kept. An opaque one is judged by time (no-clobber.ts).
 */
async function neverShown(ctx: PublishContext, e: UpperEntry, st: Stats, x: Xattrs | null): Promise<boolean> {
  return !isOpaque(x) || (await unseenByUnion(ctx, e, lowerId(st), x))
}

/**
 * Makes sure the directory exists in gv0 with the upper dir's owner, mode, user xattrs and ACLs (`x`).
 * Of an existing one, only what changed here since the record is pushed (meta-sync.ts): the other
 * host's changes to it stay.
 */
export async function publishDir(ctx: PublishContext, e: UpperEntry, x: Xattrs | null = null): Promise<Outcome> {
  const path = e.rel
  let st = await ctx.lowerFs.lstatOrNull(path)
  const rec = ctx.state.get(e.rel)
  const removedThere = st === null && rec?.kind === 'd'
  if (st && !st.isDirectory()) st = await clearNonDir(ctx, e, rec, x)
  let created = false
  if (!st) {
    try {
      await ctx.lowerFs.mkdir(path, e.mode & 0o7777)
      created = true
      if (removedThere) reportRecreated(ctx, e.rel)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    st = await ctx.lowerFs.lstat(path)
  }
  const push = created ? { owner: true, mode: true } : dirMetaChangedHere(rec, e)
  if (push.owner && (st.uid !== e.uid || st.gid !== e.gid)) await ctx.lowerFs.lchown(path, e.uid, e.gid)
  if (push.mode && (st.mode & 0o7777) !== (e.mode & 0o7777)) await ctx.lowerFs.chmod(path, e.mode & 0o7777)
  if (created && x && (hasAcl(x) || [...x.keys()].some((n) => n.startsWith('user.')))) {
    const dir = await ctx.lowerFs.open(path, constants.O_RDONLY | constants.O_DIRECTORY)
    try {
      await writeUserXattrs(dir.fd, x)
      await writeAcls(ctx, dir.fd, x, e.rel)
    } finally {
      await dir.close()
    }
  } else if (!created && x && xattrsChangedHere(rec, x)) {
    await syncXattrs(ctx, path, x, rec?.metaHashes, e.rel, e.mode)
  }
  const keep: Partial<PublishRecord> = rec?.kind === 'd' && rec.ino === e.ino && rec.opaqueDone ? { opaqueDone: true } : {}
  // a replacement (opaque, not applied yet) is recorded as still pending until applyOpaque is done: an error
  // or a crash in between leaves the directory to the next pass, never "published" with its replacement undone
  const unapplied = isOpaque(x) && !keep.opaqueDone ? { ctimeMs: UNAPPLIED, hiddenSinceMs: hiddenSince(ctx, e, rec) } : {}
  const hidden = keep.opaqueDone && rec?.hiddenSinceMs !== undefined ? { hiddenSinceMs: rec.hiddenSinceMs } : {}
  ctx.state.set(e.rel, record(e, lowerId(st), { ...keep, ...hidden, ...xattrFields(rec, x), dirAttrs: dirMeta(e), ...unapplied }))
  return { result: 'published', bytes: 0, target: e.rel }
}

/**
 * Since when the union may have shown none of gv0's directory at the name of `e`, a directory made over a
 * delete: since that delete when this host applied it (gv0 kept only what the delete had not seen, and
 * the union has shown the name as gone since: 0, nothing there was seen), else observations.ts's bound.
 */
function hiddenSince(ctx: PublishContext, e: UpperEntry, rec: PublishRecord | undefined): number {
  return rec?.kind === 'w' && !rec.reclaimed ? 0 : ctx.replacedAfterMs(e)
}

/**
 * gv0's non-directory where the directory goes: removed, or kept under a conflict name when it changed there.
 * The look that decides and the removal go under the name's lock (name-locks.ts). Answers what stands at the
 * name afterwards: nothing, or a directory the other host made meanwhile.
 */
async function clearNonDir(ctx: PublishContext, e: UpperEntry, rec: PublishRecord | undefined, x: Xattrs | null): Promise<Stats | null> {
  return await underNameLock(ctx.names, e.rel, async (changed) => {
    const st = await ctx.lowerFs.lstatOrNull(e.rel)
    if (!st || st.isDirectory()) return st
    if (rec ? remoteChanged(ctx, e.rel, lowerId(st), bornMs(e)) : await neverShown(ctx, e, st, x)) {
      // keep gv0's newer non-directory under a conflict name, then create the directory
      const aside = await moveAsideAsConflict(ctx, e.rel, st)
      ctx.report({
        time: ctx.now().toISOString(),
        path: fromBytes(e.rel),
        kind: 'type-changed',
        localCopy: fromBytes(aside),
        message: `replaced by a directory here but changed in gv0: gv0's version moved to ${fromBytes(baseName(aside))}`,
      })
    } else {
      await ctx.lowerFs.unlink(e.rel)
    }
    changed()
    return null
  })
}
