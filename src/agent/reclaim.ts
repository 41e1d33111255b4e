// Offline space reclaim (flush contract 5): with the union unmounted, upper entries that gv0
// already holds are removed, so the union shows gv0's copy from then on.
import { isDone, type Agent } from './agent.ts'
import { isUnionMounted } from './mounts.ts'
import { openWriters } from './open-files.ts'
import { depthOf, fromBytes } from './paths.ts'
import { SafeTree } from './safe-fs.ts'
import { removeXattr } from './xattrs.ts'

export interface ReclaimSummary {
  removed: number
  kept: number
  openedOpaque: number
}

/** Thrown when reclaim is asked for while the overlay is mounted (it would lose data). */
export class UnionMountedError extends Error {
  override name = 'UnionMountedError'
}

/** Deletes published entries from upper; refuses outright while the union is mounted. */
export async function reclaim(agent: Agent): Promise<ReclaimSummary> {
  if (isUnionMounted(agent.cfg)) throw new UnionMountedError(`${agent.cfg.union} is mounted: upper is only changed offline`)
  await agent.index.fullScan()
  const writers = openWriters([agent.cfg.upper])
  const sum: ReclaimSummary = { removed: 0, kept: 0, openedOpaque: 0 }
  const entries = [...agent.index.entries.values()].sort((a, b) => depthOf(b.rel) - depthOf(a.rel))
  const upper = new SafeTree(agent.upper, 'upper', true)
  const lower = new SafeTree(agent.lower, 'gv0')
  try {
    for (const e of entries) {
      // checked per entry: someone could mount the union while this runs
      if (sum.removed % 256 === 0 && isUnionMounted(agent.cfg)) throw new UnionMountedError(`${agent.cfg.union} got mounted during reclaim`)
      const rec = agent.state.get(e.rel)
      const path = e.rel
      if (writers.paths.has(e.rel)) {
        sum.kept++
        continue
      }
      try {
        if (e.kind === 'f' || e.kind === 'l') {
          if (!isDone(e, rec) || !rec) {
            sum.kept++
            continue
          }
          await upper.unlink(path)
          if (rec.k === 'w') agent.state.delete(e.rel)
          else agent.state.set(e.rel, { ...rec, r: 1, x: undefined })
          sum.removed++
        } else if (e.kind === 'w') {
          if (!isDone(e, rec)) {
            sum.kept++
            continue
          }
          await upper.unlink(path)
          agent.state.delete(e.rel)
          sum.removed++
        } else if (e.kind === 'd') {
          if (!rec || rec.k !== 'd' || rec.i !== e.ino || rec.r) {
            sum.kept++
            continue
          }
          const left = await upper.readdir(path)
          const inLower = (await lower.lstatOrNull(e.rel))?.isDirectory() ?? false
          if (left.length === 0 && inLower) {
            await upper.rmdir(path)
            agent.state.set(e.rel, { ...rec, r: 1, op: undefined })
            sum.removed++
          } else {
            if (rec.op) {
              // gv0's copy of this directory was already made to match: let it show through again
              await removeXattr(upper, path, 'trusted.overlay.opaque')
              agent.state.set(e.rel, { ...rec, op: undefined })
              sum.openedOpaque++
            }
            sum.kept++
          }
        }
      } catch (err) {
        agent.reportError(`reclaim:${e.rel}`, `reclaim ${fromBytes(e.rel)}: ${(err as Error).message}`)
        sum.kept++
      }
    }
  } finally {
    upper.close()
    lower.close()
  }
  agent.saveState()
  await agent.index.fullScan()
  return sum
}
