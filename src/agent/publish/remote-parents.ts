// A directory this host still publishes into was removed (or replaced by a file) on the other host.
// Creating the temp there fails with ENOENT or ENOTDIR on every pass; instead, the directory is made
// again from the upper dir (owner, mode, xattrs), the other host's file is moved to a conflict name,
// and both are reported: the local entries below reach gv0 under the usual conflict rules.
import { joinRel, type Bytes } from '../fs/paths.ts'
import { publishDir } from './publish-dir.ts'
import type { PublishContext } from './publish-context.ts'
import { entryFromStat } from '../watch/scan.ts'
import { readXattrs } from '../fs/xattrs.ts'

const PARENT_GONE = new Set(['ENOENT', 'ENOTDIR'])

/**
 * Makes every parent directory of `rel` a directory in gv0 again where the other host removed it or
 * put something else there. Answers whether anything was restored; parents the upper dir no longer
 * has (removed here too) are left to the next scan.
 */
export async function restoreParents(ctx: PublishContext, rel: Bytes): Promise<boolean> {
  const parts = rel.split('/')
  parts.pop()
  let dir = ''
  let restored = false
  for (const name of parts) {
    dir = joinRel(dir, name)
    const st = await ctx.lowerFs.lstatOrNull(dir)
    if (st?.isDirectory()) continue
    const up = await ctx.upperFs.lstatOrNull(dir)
    if (!up?.isDirectory()) return restored
    const [x] = await readXattrs(ctx.upperFs, [dir])
    // publishDir reports both: a directory made again, a file of the other host's moved aside
    await publishDir(ctx, entryFromStat(dir, up), x)
    restored = true
  }
  return restored
}

/** Runs an entry's publish; when it failed because a gv0 parent is gone, restores the parents and runs it once more. */
export async function withParents<T>(ctx: PublishContext, rel: Bytes, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (err) {
    if (!PARENT_GONE.has((err as NodeJS.ErrnoException).code ?? '')) throw err
    if (!(await restoreParents(ctx, rel))) throw err
    return await run()
  }
}

