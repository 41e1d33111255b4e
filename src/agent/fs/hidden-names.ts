// Names at gv0's root that are no user's files: gluster's own (on a brick) and the agents' name-lock file.
// The union never shows them (a whiteout in upper's root hides each) and the agent never publishes them.
import { lstatSync } from 'node:fs'
import { join } from 'node:path'
import { isGlusterInternalRootName } from './gluster-brick.ts'
import { NAME_LOCK_FILE } from './name-locks.ts'
import { notStarted, run } from './run.ts'

/** A name at the root of gv0 (or of the brick) that the union hides and the agent never publishes. */
export function isHiddenRootName(name: string): boolean {
  return name === NAME_LOCK_FILE || isGlusterInternalRootName(name)
}

/**
 * Puts a whiteout at `name` in upper's root unless one is there; answers whether it made one. Anything
 * else at that name is refused with what to do: it would show the hidden entry, or shadow it.
 */
export async function hideInUpper(upper: string, name: string, why: string): Promise<boolean> {
  const at = join(upper, name)
  let st
  try {
    st = lstatSync(at)
  } catch {
    st = null
  }
  if (st?.isCharacterDevice() && st.rdev === 0) return false
  if (st) throw new Error(`${at} is in the way of hiding ${why}: move it away`)
  const r = await run('mknod', ['-m', '000', at, 'c', '0', '0']).catch(notStarted)
  if (r.code !== 0) throw new Error(`mknod ${at}: ${r.stderr.trim()}`)
  return true
}
