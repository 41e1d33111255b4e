// Stale dentries behind the union (DESIGN.md): negative ones hide remote creations, and after gv0's client
// switches to a new graph the union's cached lower dentries answer ESTALE. Dropping them fixes both.
import { statSync, writeFileSync } from 'node:fs'
import { readlink } from 'node:fs/promises'
import { join } from 'node:path'
import type { Bytes } from '../fs/paths.ts'
import { mountAt, mountedLowerDir } from '../fs/union-lower.ts'
import { heldNames } from './open-files.ts'

/** Drops dentries and inodes (not the page cache) so remote creations become visible. */
export function dropDentries(file = '/proc/sys/vm/drop_caches'): void {
  writeFileSync(file, '2\n')
}

/**
 * Whether the union's lower layer checks its cached lookups again: gluster's FUSE client does (each entry
 * expires after its timeout, and overlayfs asks the layer below before it uses a cached name). A brick or a
 * plain directory never does: a name the union looked up keeps showing what it found until its dentry goes.
 */
export function lowerRevalidates(union: string): boolean {
  const lower = mountedLowerDir(union)
  if (lower === null) return false
  return mountAt(lower)?.fstype.startsWith('fuse') ?? false
}

/**
 * Drops the dentries; `held`: the union's names it could not refresh, or null when none can stay stale. A drop
 * frees only dentries nothing uses: a name held open (a file, a cwd, a mapping, and through its parent links every
 * directory above it) keeps its dentry, and over a lower that never revalidates the union goes on showing what
 * that dentry saw. The holds are read before and after the drop, and a name held at either counts. `began`:
 * when the drop began (wall-clock ms).
 */
export function dropUnionDentries(union: string, file?: string): { began: number; held: Set<Bytes> | null } {
  const held = lowerRevalidates(union) ? null : heldNames(union)
  const began = Date.now()
  dropDentries(file)
  if (held) for (const n of heldNames(union)) held.add(n)
  return { began, held }
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
