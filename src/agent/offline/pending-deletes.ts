// Deletes overlayfs made without a whiteout (in directories it took for upper-only) are only
// records without an entry. Once the union is mounted again over a gv0 that still holds the name,
// the deleted entry shows through. Offline, before reclaim, such deletes get a real whiteout in
// upper: the union keeps hiding the name and the next pass applies the delete like any other.
import { closeSync, linkSync, unlinkSync } from 'node:fs'
import type { LockedAgent } from '../core/locked-agent.ts'
import { baseName, fromBytes, parentRel, type Bytes } from '../fs/paths.ts'
import { notStarted, run } from '../fs/run.ts'
import { openTreeDirSync } from '../fs/dir-handles.ts'

/**
 * Makes a whiteout (char device 0/0) at `name` in the open directory `dirFd`. mknod(1) creates it under
 * a plain temporary name (its arguments are text), and link(2) gives it the byte-exact name without
 * replacing anything that might be there.
 */
async function makeWhiteout(dirFd: number, name: Bytes): Promise<void> {
  const tmp = `.gfs-writecache.whiteout.${process.pid}`
  const at = (n: Bytes) => Buffer.from(`/proc/self/fd/${dirFd}/${n}`, 'latin1')
  try {
    unlinkSync(at(tmp))
  } catch {
    // none left over
  }
  const r = await run('mknod', ['-m', '000', `/proc/self/fd/3/${tmp}`, 'c', '0', '0'], { fds: [dirFd] }).catch(notStarted)
  if (r.code !== 0) throw new Error(`mknod: ${r.stderr.trim()}`)
  try {
    linkSync(at(tmp), at(name))
  } finally {
    unlinkSync(at(tmp))
  }
}

/** Creates whiteouts for the topmost pending deletes; returns how many were made. The union must be unmounted. */
export async function materializePendingDeletes(agent: LockedAgent): Promise<number> {
  const gone = new Set(agent.vanished())
  let made = 0
  for (const rel of gone) {
    const parent = parentRel(rel)
    // below another pending delete: that one's whiteout hides this name too
    if (gone.has(parent)) continue
    if (parent !== '' && agent.entry(parent)?.kind !== 'd') continue
    try {
      const dirFd = openTreeDirSync(agent.upper, parent, 'upper')
      try {
        await makeWhiteout(dirFd, baseName(rel))
      } finally {
        closeSync(dirFd)
      }
      made++
    } catch (err) {
      agent.reportError(`whiteout:${rel}`, `${fromBytes(rel)}: cannot make a whiteout for a pending delete: ${(err as Error).message}`)
    }
  }
  return made
}
