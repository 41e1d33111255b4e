// Deleting in gv0 without losing remote work: entries that changed remotely are kept and reported.
import { lowerId } from '../fs/entry-identity.ts'
import { fromBytes, joinRel, type Bytes } from '../fs/paths.ts'
import { remoteChanged, type PublishContext } from './publish-context.ts'
import { isOwnTemp, isTempName } from './temp-files.ts'
import { crashPoint } from '../core/crash-points.ts'
import { underNameLock } from '../fs/name-locks.ts'

/** Reports a delete (`why`) that was not applied because gv0's copy changed since this host last saw it. */
export function reportKept(ctx: PublishContext, rel: Bytes, why: string): void {
  ctx.report({
    time: ctx.now().toISOString(),
    path: fromBytes(rel),
    kind: 'delete-kept',
    message: `${why}, but gv0's copy changed since this host last saw it: kept the remote file`,
  })
}

/**
 * Removes a lower entry (recursively); returns the relative paths it kept because they changed remotely.
 * `hidden`: below a directory this host replaced (opaque, published, not yet reopened by reclaim), so the
 * union showed none of gv0's entries there but its own: one this host has no record of was never seen.
 */
export async function removeLower(ctx: PublishContext, rel: Bytes, refMs: number, why: string, hidden = false): Promise<Bytes[]> {
  let st = await ctx.lowerFs.lstatOrNull(rel)
  if (st && !st.isDirectory()) {
    const done = await removeNonDir(ctx, rel, refMs, why, hidden)
    if (done !== 'directory') return done
    st = await ctx.lowerFs.lstatOrNull(rel)
  }
  if (!st?.isDirectory()) return []
  const id = lowerId(st)
  const rec = ctx.state.get(rel)
  // a directory made there after `refMs` (looked at before its entries go, which moves its ctime) stays,
  // even empty: an empty one is all the other host's change there is. A run of this host cut off while
  // removing its entries moved that ctime too: the ctime from before counts then (same inode).
  const since = rec ? undefined : ctx.state.emptyingSince(rel, st.ino)
  const madeThere = !rec && (hidden || remoteChanged(ctx, rel, id && since !== undefined ? { ...id, ctimeMs: since } : id, refMs))
  const hiddenBelow = hidden || (rec?.kind === 'd' && rec.opaqueDone === true && !rec.reclaimed)
  const kept: Bytes[] = []
  const names = await ctx.lowerFs.readdir(rel)
  if (!rec && since === undefined && names.length > 0) ctx.state.noteEmptying(rel, st.ino, st.ctimeMs)
  for (const name of names) {
    if (isTempName(name)) {
      // this host's leftover goes; another host's may be mid-publish and keeps the directory
      if (isOwnTemp(name, ctx.host)) await ctx.lowerFs.unlink(joinRel(rel, name)).catch(() => {})
      else kept.push(joinRel(rel, name))
      continue
    }
    kept.push(...(await removeLower(ctx, joinRel(rel, name), refMs, why, hiddenBelow)))
    crashPoint('delete:mid-tree')
  }
  if (kept.length === 0 && madeThere) {
    reportKept(ctx, rel, why)
    kept.push(rel)
  } else if (kept.length === 0) {
    try {
      await ctx.lowerFs.rmdir(rel)
      ctx.state.delete(rel)
    } catch (err) {
      // someone created an entry meanwhile: keep the directory
      if ((err as NodeJS.ErrnoException).code !== 'ENOTEMPTY') throw err
      kept.push(rel)
    }
  }
  ctx.state.forgetIntents(rel)
  return kept
}

/**
 * Unlinks gv0's non-directory at `rel` unless it changed remotely. The look that decides and the unlink go
 * under the name's lock (name-locks.ts): the other agent cannot replace it in between, and the look shows no
 * version of it that the other agent replaced before.
 */
async function removeNonDir(ctx: PublishContext, rel: Bytes, refMs: number, why: string, hidden: boolean): Promise<Bytes[] | 'directory'> {
  return await underNameLock(ctx.names, rel, async (changed) => {
    const st = await ctx.lowerFs.lstatOrNull(rel)
    if (!st) return []
    // the other host made a directory there meanwhile: removed (or kept) as one, outside the lock
    if (st.isDirectory()) return 'directory'
    const rec = ctx.state.get(rel)
    if ((hidden && !rec) || remoteChanged(ctx, rel, lowerId(st), refMs)) {
      reportKept(ctx, rel, why)
      return [rel]
    }
    await ctx.lowerFs.unlink(rel)
    changed()
    ctx.state.delete(rel)
    return []
  })
}
