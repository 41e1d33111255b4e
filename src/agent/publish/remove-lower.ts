// Deleting in gv0 without losing remote work: entries that changed remotely are kept and reported.
import { lowerId } from '../fs/entry-identity.ts'
import { fromBytes, joinRel, type Bytes } from '../fs/paths.ts'
import { remoteChanged, type PublishContext } from './publish-context.ts'
import { isOwnTemp, isTempName } from './temp-files.ts'

/** Reports a delete (`why`) that was not applied because gv0's copy changed since this host last saw it. */
export function reportKept(ctx: PublishContext, rel: Bytes, why: string): void {
  ctx.report({
    time: ctx.now().toISOString(),
    path: fromBytes(rel),
    kind: 'delete-kept',
    message: `${why}, but gv0's copy changed since this host last saw it: kept the remote file`,
  })
}

/** Removes a lower entry (recursively); returns the relative paths it kept because they changed remotely. */
export async function removeLower(ctx: PublishContext, rel: Bytes, refMs: number, why: string): Promise<Bytes[]> {
  const st = await ctx.lowerFs.lstatOrNull(rel)
  if (!st) return []
  const id = lowerId(st)
  if (id?.kind !== 'd' && remoteChanged(ctx, rel, id, refMs)) {
    reportKept(ctx, rel, why)
    return [rel]
  }
  if (!st.isDirectory()) {
    await ctx.lowerFs.unlink(rel)
    ctx.state.delete(rel)
    return []
  }
  // a directory made there after `refMs` (looked at before its entries go, which moves its ctime) stays,
  // even empty: an empty one is all the other host's change there is
  const madeThere = !ctx.state.get(rel) && remoteChanged(ctx, rel, id, refMs)
  const kept: Bytes[] = []
  const names = await ctx.lowerFs.readdir(rel)
  for (const name of names) {
    if (isTempName(name)) {
      // this host's leftover goes; another host's may be mid-publish and keeps the directory
      if (isOwnTemp(name, ctx.host)) await ctx.lowerFs.unlink(joinRel(rel, name)).catch(() => {})
      else kept.push(joinRel(rel, name))
      continue
    }
    kept.push(...(await removeLower(ctx, joinRel(rel, name), refMs, why)))
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
  return kept
}
