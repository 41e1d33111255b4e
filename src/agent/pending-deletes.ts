// Deletes overlayfs made without a whiteout (in directories it took for upper-only) are only
// records without an entry. Once the union is mounted again over a gv0 that still holds the name,
// the deleted entry shows through. Offline, before reclaim, such deletes get a real whiteout in
// upper: the union keeps hiding the name and the next pass applies the delete like any other.
import { spawnSync } from 'node:child_process'
import type { Agent } from './agent.ts'
import { fromBytes, parentRel, toBytes } from './paths.ts'

/** Creates whiteouts for the topmost pending deletes; returns how many were made. The union must be unmounted. */
export function materializePendingDeletes(agent: Agent): number {
  const gone = new Set(agent.vanished())
  let made = 0
  for (const rel of gone) {
    const parent = parentRel(rel)
    // below another pending delete: that one's whiteout hides this name too
    if (gone.has(parent)) continue
    if (parent !== '' && agent.index.entries.get(parent)?.kind !== 'd') continue
    // arguments reach mknod as UTF-8: a name that is not valid UTF-8 cannot be passed
    const path = fromBytes(agent.upper + '/' + rel)
    if (toBytes(path) !== agent.upper + '/' + rel) {
      agent.reportError(`whiteout:${rel}`, `${fromBytes(rel)}: cannot make a whiteout for a pending delete (name is not UTF-8)`)
      continue
    }
    const r = spawnSync('mknod', ['-m', '000', path, 'c', '0', '0'], { encoding: 'utf8' })
    if (r.status === 0) made++
    else agent.reportError(`whiteout:${rel}`, `${fromBytes(rel)}: cannot make a whiteout for a pending delete: ${(r.stderr || String(r.error)).trim()}`)
  }
  return made
}
