// The other host's non-directory in the way of a directory made here goes to a conflict name: a link
// there, then the unlink of the name. A crash between the two leaves both names on one inode; the next
// attempt finds that copy and only finishes the unlink, instead of making a second copy of it.
import type { Stats } from 'node:fs'
import { baseName, joinRel, parentRel, type Bytes } from '../fs/paths.ts'
import type { PublishContext } from './publish-context.ts'
import { linkAsConflict } from './no-clobber.ts'

/** Moves gv0's `rel` (lstat `st`) to a conflict name of it; answers that name. */
export async function moveAsideAsConflict(ctx: PublishContext, rel: Bytes, st: Stats): Promise<Bytes> {
  const placed = st.nlink > 1 ? await conflictCopyOf(ctx, rel, st.ino) : null
  if (placed === null) return await linkAsConflict(ctx, rel, rel)
  await ctx.lowerFs.unlink(rel)
  return placed
}

/** This host's conflict copy of `rel` that is inode `ino` (a link made before a crash), if there is one. */
async function conflictCopyOf(ctx: PublishContext, rel: Bytes, ino: number): Promise<Bytes | null> {
  const dir = parentRel(rel)
  const tag = `.conflict-${ctx.host}-`
  const base = baseName(rel)
  const dot = base.lastIndexOf('.')
  const stem = dot > 0 ? base.slice(0, dot) : base
  for (const name of await ctx.lowerFs.readdir(dir)) {
    if (name === base || !name.includes(tag) || !name.startsWith(stem.slice(0, 8))) continue
    const at = joinRel(dir, name)
    if ((await ctx.lowerFs.lstatOrNull(at))?.ino === ino) return at
  }
  return null
}
