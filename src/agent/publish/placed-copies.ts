// A conflict copy this host linked into place just before a crash, before its record was saved: without
// its intent the next start would take it for someone else's file and publish a second copy.
import { lowerId } from '../fs/entry-identity.ts'
import type { Bytes } from '../fs/paths.ts'
import type { PublishContext } from './publish-context.ts'

/**
 * Points the record of `rel` at a conflict copy this host placed but had not recorded, when gv0 still
 * holds it as placed. Its upper inode is left unknown, so the entry is published once more: to that copy,
 * or found there already.
 */
export async function adoptPlacedCopy(ctx: PublishContext, rel: Bytes): Promise<void> {
  const names = ctx.state.placedCopiesOf(rel)
  if (names.length === 0) return
  const rec = ctx.state.get(rel)
  for (const name of names) {
    // a copy in the record already is checked by conflictTarget, which knows intents too
    if (name === rec?.conflictPath) continue
    const id = lowerId(await ctx.lowerFs.lstatOrNull(name))
    if (!ctx.state.isOurs(name, id)) continue
    const base = rec?.conflictPath ? rec.lower : lowerId(await ctx.lowerFs.lstatOrNull(rel))
    const kind = id?.kind === 'l' ? 'l' : 'f'
    ctx.state.set(rel, {
      ...(rec ?? { kind, size: 0, mtimeMs: 0, ctimeMs: 0, publishedAt: Date.now() }),
      ino: -1,
      lower: base,
      conflictPath: name,
      conflictLower: id,
      digest: undefined,
    })
    for (const n of names) ctx.state.forgetIntents(n)
    return
  }
}
