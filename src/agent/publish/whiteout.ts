// Whiteouts in upper are deletes in gv0 (flush contract 4), unless gv0 changed meanwhile (6).
// When the delete happened is the agent's own lower bound (observations.ts), never the whiteout's ctime:
// all whiteouts share one inode, and each later delete anywhere moves that ctime.
import { lowerId } from '../fs/entry-identity.ts'
import { remoteChanged, type PublishContext } from './publish-context.ts'
import { removeLower, reportKept } from './remove-lower.ts'
import type { UpperEntry } from '../watch/scan.ts'

/** Applies a whiteout; the record notes it so the whiteout is reclaimed offline later. */
export async function applyWhiteout(ctx: PublishContext, e: UpperEntry, deletedAfterMs: number): Promise<'deleted' | 'kept' | 'absent'> {
  const rec = ctx.state.get(e.rel)
  const st = await ctx.lowerFs.lstatOrNull(e.rel)
  const done = (L: ReturnType<typeof lowerId>) =>
    ctx.state.set(e.rel, { kind: 'w', ino: e.ino, size: 0, mtimeMs: e.mtimeMs, ctimeMs: e.ctimeMs, lower: L, publishedAt: Date.now() })
  if (!st) {
    done(null)
    return 'absent'
  }
  const id = lowerId(st)
  if (rec?.conflictPath || (id?.kind !== 'd' && remoteChanged(ctx, e.rel, id, deletedAfterMs))) {
    reportKept(ctx, e.rel, 'deleted here')
    done(id)
    return 'kept'
  }
  const kept = await removeLower(ctx, e.rel, deletedAfterMs, 'deleted here')
  done(kept.length > 0 ? lowerId(await ctx.lowerFs.lstatOrNull(e.rel)) : null)
  return kept.length > 0 ? 'kept' : 'deleted'
}
