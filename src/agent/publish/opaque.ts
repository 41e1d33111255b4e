// An opaque upper dir replaced the lower one: gv0 must lose the names the union no longer shows.
import { baseName, joinRel, parentRel, type Bytes } from '../fs/paths.ts'
import type { PublishContext } from './publish-context.ts'
import { removeLower } from './remove-lower.ts'
import { bornMs, type UpperEntry } from '../watch/scan.ts'
import { isOwnTemp, isTempName } from './temp-files.ts'
import { crashPoint } from '../core/crash-points.ts'
import { lowerId, sameLower } from '../fs/entry-identity.ts'

/**
 * Conflict copies in `dir` that this host still publishes into: recorded for a name the opaque dir
 * still holds. Any other name with ".conflict-" in it (another host's, or one whose local name is gone)
 * was shown by the union before the directory was replaced, so it goes like every other name.
 */
function liveConflictCopies(ctx: PublishContext, dir: Bytes, upperNames: Set<Bytes>): Set<Bytes> {
  const out = new Set<Bytes>()
  for (const [rel, rec] of ctx.state.records) {
    if (!rec.conflictPath || rec.reclaimed || parentRel(rel) !== dir || !upperNames.has(baseName(rel))) continue
    if (parentRel(rec.conflictPath) === dir) out.add(baseName(rec.conflictPath))
  }
  return out
}

/**
 * A name this host published below the opaque directory after its making, whose copy in upper is gone
 * since (reclaimed by an evict that came before the directory's own replacement reached gv0): gv0's entry,
 * while it is still that version, belongs to the directory as replaced here, not to what it replaced.
 */
async function publishedSinceReplaced(ctx: PublishContext, rel: Bytes, bornMs: number): Promise<boolean> {
  const rec = ctx.state.get(rel)
  if (!rec || rec.kind === 'w' || rec.conflictPath || !(rec.publishedAt >= bornMs)) return false
  return sameLower(lowerId(await ctx.lowerFs.lstatOrNull(rel)), rec.lower)
}

/** Deletes lower children that are not in the opaque upper dir (names still in upper get published). */
export async function applyOpaque(ctx: PublishContext, e: UpperEntry): Promise<Bytes[]> {
  if (!(await ctx.lowerFs.lstatOrNull(e.rel))?.isDirectory()) return []
  const upperNames = new Set(await ctx.upperFs.readdir(e.rel))
  const lowerNames = await ctx.lowerFs.readdir(e.rel)
  const ref = bornMs(e)
  // what the union showed of gv0's directory here ended at the delete before the replacement, if earlier
  const hiddenSince = Math.min(ref, ctx.state.get(e.rel)?.hiddenSinceMs ?? ref)
  const spared = lowerNames.some((n) => n.includes('.conflict-')) ? liveConflictCopies(ctx, e.rel, upperNames) : new Set<Bytes>()
  const kept: Bytes[] = []
  for (const name of lowerNames) {
    if (upperNames.has(name) || spared.has(name)) continue
    if (isTempName(name)) {
      // another host's temporary may be mid-publish: never ours to delete; our own is a leftover
      if (isOwnTemp(name, ctx.host)) await ctx.lowerFs.unlink(joinRel(e.rel, name)).catch(() => {})
      continue
    }
    if (await publishedSinceReplaced(ctx, joinRel(e.rel, name), ref)) continue
    kept.push(...(await removeLower(ctx, joinRel(e.rel, name), hiddenSince, 'its directory was replaced here')))
    crashPoint('opaque:mid-apply')
  }
  const rec = ctx.state.get(e.rel)
  // applied: the record now says published (publishDir left its ctime pending until here)
  if (rec) ctx.state.set(e.rel, { ...rec, ctimeMs: e.ctimeMs, opaqueDone: true })
  return kept
}
