// An opaque upper dir replaced the lower one: gv0 must lose the names the union no longer shows.
import { joinRel, type Bytes } from './paths.ts'
import type { PublishContext } from './publish-context.ts'
import { removeLower } from './remove-lower.ts'
import { bornMs, type UpperEntry } from './scan.ts'
import { isTempName } from './temp-files.ts'

/** Deletes lower children that are not in the opaque upper dir (names still in upper get published). */
export async function applyOpaque(ctx: PublishContext, e: UpperEntry): Promise<Bytes[]> {
  if (!(await ctx.lowerFs.lstatOrNull(e.rel))?.isDirectory()) return []
  const upperNames = new Set(await ctx.upperFs.readdir(e.rel))
  const lowerNames = await ctx.lowerFs.readdir(e.rel)
  const ref = bornMs(e)
  const kept: Bytes[] = []
  for (const name of lowerNames) {
    if (upperNames.has(name) || isTempName(name) || name.includes('.conflict-')) continue
    kept.push(...(await removeLower(ctx, joinRel(e.rel, name), ref, 'its directory was replaced here')))
  }
  const rec = ctx.state.get(e.rel)
  if (rec) ctx.state.set(e.rel, { ...rec, op: 1 })
  return kept
}
