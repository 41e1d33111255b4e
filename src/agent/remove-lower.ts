// Deleting in gv0 without losing remote work: entries that changed remotely are kept and reported.
import { readdir, rmdir, unlink } from 'node:fs/promises'
import { lowerId, lstatOrNull } from './lower.ts'
import { fromBytes, fsPath, joinRel, type Bytes } from './paths.ts'
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
  const path = fsPath(ctx.lower, rel)
  const st = await lstatOrNull(path)
  if (!st) return []
  const id = lowerId(st)
  if (id?.k !== 'd' && remoteChanged(ctx, rel, id, refMs)) {
    reportKept(ctx, rel, why)
    return [rel]
  }
  if (!st.isDirectory()) {
    await unlink(path)
    ctx.state.delete(rel)
    return []
  }
  const kept: Bytes[] = []
  const names = (await readdir(path, { encoding: 'latin1' })) as unknown as Bytes[]
  for (const name of names) {
    if (isTempName(name)) {
      // this host's leftover goes; another host's may be mid-publish and keeps the directory
      if (isOwnTemp(name, ctx.host)) await unlink(fsPath(ctx.lower, joinRel(rel, name))).catch(() => {})
      else kept.push(joinRel(rel, name))
      continue
    }
    kept.push(...(await removeLower(ctx, joinRel(rel, name), refMs, why)))
  }
  if (kept.length === 0) {
    try {
      await rmdir(path)
      ctx.state.delete(rel)
    } catch (err) {
      // someone created an entry meanwhile: keep the directory
      if ((err as NodeJS.ErrnoException).code !== 'ENOTEMPTY') throw err
      kept.push(rel)
    }
  }
  return kept
}
