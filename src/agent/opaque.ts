// An opaque upper dir replaced the lower one: gv0 must lose the names the union no longer shows.
import { readdir } from 'node:fs/promises'
import { lstatOrNull } from './lower.ts'
import { fsPath, joinRel, type Bytes } from './paths.ts'
import type { PublishContext } from './publish-context.ts'
import { removeLower } from './remove-lower.ts'
import { bornMs, type UpperEntry } from './scan.ts'
import { isTempName } from './temp-files.ts'

/** Deletes lower children that are not in the opaque upper dir (names still in upper get published). */
export async function applyOpaque(ctx: PublishContext, e: UpperEntry): Promise<Bytes[]> {
  const lowerDir = fsPath(ctx.lower, e.rel)
  if (!(await lstatOrNull(lowerDir))?.isDirectory()) return []
  const upperNames = new Set((await readdir(fsPath(ctx.upper, e.rel), { encoding: 'latin1' })) as unknown as Bytes[])
  const lowerNames = (await readdir(lowerDir, { encoding: 'latin1' })) as unknown as Bytes[]
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
