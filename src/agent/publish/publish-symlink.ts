// Atomic publish of one upper symlink into gv0: a temp link, owner and times, then the same placement as files.
import { lowerId } from '../fs/entry-identity.ts'
import type { PublishContext } from './publish-context.ts'
import { adoptPlacedCopy } from './placed-copies.ts'
import type { UpperEntry } from '../watch/scan.ts'
import { chooseTarget, record, recordPublish, renameIntoPlace, tempFor, type Outcome, type Target } from './placement.ts'

/**
 * Recreates a symlink in gv0 atomically (temp link + rename), keeping owner and times. Like a file, a
 * link whose gv0 name changed remotely goes to a conflict name, also when the change lands mid-publish.
 */
export async function publishSymlink(ctx: PublishContext, e: UpperEntry): Promise<Outcome> {
  await adoptPlacedCopy(ctx, e.rel)
  const linkTarget = await ctx.upperFs.readlink(e.rel)
  const rec = ctx.state.get(e.rel)
  const herePath = rec?.conflictPath ?? e.rel
  const here = await ctx.lowerFs.lstatOrNull(herePath)
  if (here?.isSymbolicLink() && (await ctx.lowerFs.readlink(herePath)).equals(linkTarget)) {
    ctx.state.set(e.rel, record(e, rec?.conflictPath ? rec.lower : lowerId(here), rec?.conflictPath ? { conflictPath: rec.conflictPath, conflictLower: lowerId(here) } : {}))
    return { result: 'already' }
  }
  // without a conflict record, `here` is gv0's entry at the link's own name: no second lookup
  const chosen = await chooseTarget(ctx, e, false, rec?.conflictPath ? undefined : here)
  const tmp = tempFor(ctx, chosen.target)
  await ctx.lowerFs.unlink(tmp).catch(() => {})
  await ctx.lowerFs.symlink(linkTarget, tmp)
  let placed: Outcome | Target
  try {
    await ctx.lowerFs.lchown(tmp, e.uid, e.gid)
    await ctx.lowerFs.lutimes(tmp, e.atimeMs / 1000, e.mtimeMs / 1000)
    placed = await renameIntoPlace(ctx, e, tmp, chosen)
    if ('result' in placed) return placed
  } catch (err) {
    await ctx.lowerFs.unlink(tmp).catch(() => {})
    throw err
  }
  return await recordPublish(ctx, e, rec, placed, 0)
}
