// Owner and mode changed in place on a gv0 file change every name of its inode. The other host may have
// put a hard link of any file there (one outside the volume too, where both are one file system), so
// only an inode with one name, or one this host placed itself, is changed in place; any other gets a
// full publish (temporary, rename), which replaces the name and leaves the inode alone.
import type { Stats } from 'node:fs'
import * as fsp from 'node:fs/promises'
import { O_PATH, procPath } from '../fs/dir-handles.ts'
import type { Bytes } from '../fs/paths.ts'
import type { PublishRecord } from '../state/state-store.ts'
import type { PublishContext } from './publish-context.ts'

/** May gv0's file `st` be changed in place for the entry recorded as `rec`? */
export function mayChangeInPlace(st: Stats, rec: PublishRecord | undefined): boolean {
  if (!st.isFile()) return false
  return st.nlink <= 1 || rec?.lower?.ino === st.ino || rec?.conflictLower?.ino === st.ino
}

/**
 * Sets owner and mode of gv0's file at `p` through a handle on the inode checked as `here`; false when
 * the name holds another inode by now, or one that may not be changed in place (nothing was changed).
 */
export async function setOwnerModeInPlace(
  ctx: PublishContext, p: Bytes, here: Stats, rec: PublishRecord | undefined, uid: number, gid: number, mode: number): Promise<boolean> {
  const fh = await ctx.lowerFs.open(p, O_PATH)
  try {
    const st = await fh.stat()
    if (st.ino !== here.ino || !mayChangeInPlace(st, rec)) return false
    const chowned = st.uid !== uid || st.gid !== gid
    if (chowned) await fsp.chown(procPath(fh.fd), uid, gid)
    // chown clears set-id bits: the mode goes after it
    if ((st.mode & 0o7777) !== mode || (chowned && (mode & 0o6000) !== 0)) await fsp.chmod(procPath(fh.fd), mode)
    return true
  } finally {
    await fh.close()
  }
}
