// Stale dentries behind the union (DESIGN.md): negative ones hide remote creations, and after gv0's client
// switches to a new graph the union's cached lower dentries answer ESTALE. Dropping them fixes both.
import { statSync, writeFileSync } from 'node:fs'
import { readlink } from 'node:fs/promises'
import { join } from 'node:path'

/** Drops dentries and inodes (not the page cache) so remote creations become visible. */
export function dropDentries(file = '/proc/sys/vm/drop_caches'): void {
  writeFileSync(file, '2\n')
}

/** The gluster client's active graph, named by its meta directory; null where there is none (not gluster). */
export async function activeGraph(lower: string): Promise<string | null> {
  try {
    return await readlink(join(lower, '.meta', 'graphs', 'active'))
  } catch {
    return null
  }
}

/**
 * Calls onSwitch when gv0's client has switched to a new graph, which it does when a volume option
 * changes. The union's lower dentries from before then point at the old graph's inodes, and the union
 * answers ESTALE for them (measured: mkdir in a directory looked up before `gluster volume set`) until
 * they are dropped: waiting for the periodic drop would leave writers failing for up to its interval.
 * Runs on its own timer, so a long publish pass does not hold it up. Returns the function that stops it.
 */
export function watchGraph(lower: string, intervalMs: number, onSwitch: (from: string, to: string) => void): () => void {
  let last: string | null = null
  let busy = false // a hung gv0 leaves one readlink waiting, never a pile of them
  const timer = setInterval(() => {
    if (busy) return
    busy = true
    void activeGraph(lower)
      .then((now) => {
        if (now !== null && last !== null && now !== last) onSwitch(last, now)
        if (now !== null) last = now
      })
      .finally(() => (busy = false))
  }, intervalMs)
  timer.unref()
  return () => clearInterval(timer)
}

/**
 * When the union was last mounted (wall-clock ms), 0 when unknown: overlayfs makes its work dir's `work`
 * directory anew at every mount, and a fresh mount starts without cached lookups, like a dentry drop.
 * Its birth time only: copy-ups pass through it and move its ctime.
 */
export function unionMountedAtMs(work: string): number {
  try {
    return statSync(join(work, 'work')).birthtimeMs || 0
  } catch {
    return 0
  }
}
