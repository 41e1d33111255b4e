// Offline space reclaim (flush contract 5): with the union unmounted, upper entries that gv0
// already holds are removed, so the union shows gv0's copy from then on.
// Crash-safe (contract 1): each batch is marked reclaimed durably before it is unlinked, so an entry
// missing after a crash at any point is a reclaim, never a local delete to apply to gv0.
import { crashPoint } from '../core/crash-points.ts'
import { isDone } from '../core/pending.ts'
import type { LockedAgent } from '../core/locked-agent.ts'
import { isUnionMounted } from '../fs/mounts.ts'
import { openWriters } from '../watch/open-files.ts'
import { materializePendingDeletes } from './pending-deletes.ts'
import { depthOf, fromBytes, parentRel, type Bytes } from '../fs/paths.ts'
import { SafeTree } from '../fs/safe-fs.ts'
import type { UpperEntry } from '../watch/scan.ts'
import { isOpaque, readXattrs, removeXattr } from '../fs/xattrs.ts'
import { goneRecord } from '../state/state-store.ts'
import { UNAPPLIED } from '../publish/publish-dir.ts'

export interface ReclaimSummary {
  removed: number
  kept: number
  openedOpaque: number
}

/** Thrown when reclaim is asked for while the overlay is mounted (it would lose data). */
export class UnionMountedError extends Error {
  override name = 'UnionMountedError'
}

/** Entries unlinked per durable mark; the mount is checked again before each batch. */
const BATCH = 256

function assertUnmounted(agent: LockedAgent): void {
  if (isUnionMounted(agent.cfg)) throw new UnionMountedError(`${agent.cfg.union} got mounted during reclaim`)
}

/**
 * Directories that must stay in upper: a record below them is a delete not yet applied to gv0, and
 * removing (or un-opaquing) the upper dir would let gv0's copy of that name show through again.
 */
function dirsWithPendingDeletes(agent: LockedAgent): Set<Bytes> {
  const out = new Set<Bytes>()
  for (let rel of agent.vanished()) {
    while (rel !== '') {
      rel = parentRel(rel)
      if (out.has(rel)) break
      out.add(rel)
    }
  }
  return out
}

/** Marks a batch durably, then removes it; a failed removal leaves the entry to be republished as is. */
async function removeBatch(
  agent: LockedAgent, batch: UpperEntry[], remove: (e: UpperEntry) => Promise<void>, sum: ReclaimSummary): Promise<void> {
  if (batch.length === 0) return
  assertUnmounted(agent)
  agent.markReclaimed(batch.map((e) => e.rel))
  crashPoint('reclaim:after-mark')
  for (const e of batch) {
    try {
      await remove(e)
      sum.removed++
      const rec = agent.record(e.rel)
      if (rec?.kind === 'w') agent.dropRecord(e.rel)
      // gv0's name shows from now on; a directory made there later is judged afresh
      else if (rec?.conflictPath || rec?.opaqueDone) agent.setRecord(e.rel, goneRecord(rec))
    } catch (err) {
      // still in upper with a reclaimed mark: the next pass finds it published ('already') and re-records it
      agent.reportError(`reclaim:${e.rel}`, `reclaim ${fromBytes(e.rel)}: ${(err as Error).message}`)
      sum.kept++
    }
  }
  crashPoint('reclaim:after-batch')
}

/** Deletes published entries from upper, deepest first; refuses outright while the union is mounted. */
export async function reclaim(agent: LockedAgent): Promise<ReclaimSummary> {
  assertUnmounted(agent)
  await agent.rescan()
  assertUnmounted(agent)
  if ((await materializePendingDeletes(agent)) > 0) {
    crashPoint('reclaim:after-whiteouts')
    await agent.rescan()
  }
  // the records the marks refer to must be on disk before any mark
  agent.saveRecords()
  const writers = openWriters([agent.cfg.upper])
  const pendingBelow = dirsWithPendingDeletes(agent)
  const sum: ReclaimSummary = { removed: 0, kept: 0, openedOpaque: 0 }
  const upper = new SafeTree(agent.upper, 'upper', true)
  const lower = new SafeTree(agent.lower, 'gv0')
  try {
    const levels = new Map<number, UpperEntry[]>()
    const unapplied = await unappliedOpaqueDirs(agent, upper)
    for (const e of agent.entries()) {
      if (isBelowAny(e.rel, unapplied)) {
        sum.kept++
        continue
      }
      const d = depthOf(e.rel)
      const l = levels.get(d)
      if (l) l.push(e)
      else levels.set(d, [e])
    }
    await reclaimLevels(agent, levels, writers, pendingBelow, unapplied, upper, lower, sum)
  } finally {
    upper.close()
    lower.close()
  }
  agent.saveState()
  await agent.rescan()
  return sum
}

/**
 * Directories replaced here (opaque in upper) whose replacement has not reached gv0 yet. The union shows none of
 * gv0's entries below one, so a reclaimed entry there would vanish from it, and the replacement's publish would
 * then remove gv0's copy as a name the directory no longer holds: what lies below stays until it is applied.
 */
async function unappliedOpaqueDirs(agent: LockedAgent, upper: SafeTree): Promise<Set<Bytes>> {
  const dirs = [...agent.entries()].filter((e) => e.kind === 'd')
  const xs = await readXattrs(upper, dirs.map((e) => e.rel))
  const unapplied = new Set<Bytes>()
  dirs.forEach((e, i) => {
    const rec = agent.record(e.rel)
    if (!isOpaque(xs[i]) || (rec?.kind === 'd' && rec.ino === e.ino && rec.opaqueDone)) return
    unapplied.add(e.rel)
    // recorded as published all the same (by an agent from before replacements were recorded as pending
    // until applied): pending again, so the next pass applies it and what lies below can go
    if (rec?.kind === 'd' && rec.ino === e.ino && rec.ctimeMs === e.ctimeMs) agent.setRecord(e.rel, { ...rec, ctimeMs: UNAPPLIED })
  })
  return unapplied
}

function isBelowAny(rel: Bytes, dirs: Set<Bytes>): boolean {
  if (dirs.size === 0) return false
  for (let dir = parentRel(rel); dir !== ''; dir = parentRel(dir)) if (dirs.has(dir)) return true
  return false
}

/** Reclaims deepest level first: a level's directories only once everything below them is handled. */
async function reclaimLevels(
  agent: LockedAgent,
  levels: Map<number, UpperEntry[]>,
  writers: { paths: Set<Bytes> },
  pendingBelow: Set<Bytes>,
  /** opaque directories whose replacement is not applied (unappliedOpaqueDirs) */
  unapplied: Set<Bytes>,
  upper: SafeTree,
  lower: SafeTree,
  sum: ReclaimSummary,
): Promise<void> {
  for (const depth of [...levels.keys()].sort((a, b) => b - a)) {
    const files: UpperEntry[] = []
    const dirs: UpperEntry[] = []
    for (const e of levels.get(depth) as UpperEntry[]) {
      if (e.kind === 'd') dirs.push(e)
      else if ((e.kind === 'f' || e.kind === 'l' || e.kind === 'w') && !writers.paths.has(e.rel) && isDone(e, agent.record(e.rel))) files.push(e)
      else sum.kept++
    }
    for (let i = 0; i < files.length; i += BATCH) {
      await removeBatch(agent, files.slice(i, i + BATCH), (e) => upper.unlink(e.rel), sum)
    }
    // a level's directories only after everything below them is gone (or kept)
    const empty: UpperEntry[] = []
    const goneThere: UpperEntry[] = []
    for (const e of dirs) {
      const rec = agent.record(e.rel)
      if (!rec || rec.kind !== 'd' || rec.ino !== e.ino || rec.reclaimed || writers.paths.has(e.rel) || pendingBelow.has(e.rel)) {
        sum.kept++
        continue
      }
      try {
        const left = await upper.readdir(e.rel)
        const inLower = (await lower.lstatOrNull(e.rel))?.isDirectory() ?? false
        if (left.length === 0 && inLower) {
          empty.push(e)
          continue
        }
        // published from here, unchanged since, and gone from gv0: the other host removed it, so the
        // union must stop showing it (nothing is left below it that gv0 lacks)
        if (left.length === 0 && isDone(e, rec)) {
          goneThere.push(e)
          continue
        }
        if (rec.opaqueDone) {
          // gv0's copy of this directory was already made to match: let it show through again
          assertUnmounted(agent)
          await removeXattr(upper, e.rel, 'trusted.overlay.opaque')
          crashPoint('reclaim:opaque-cleared')
          agent.setRecord(e.rel, { ...rec, opaqueDone: undefined })
          sum.openedOpaque++
        }
      } catch (err) {
        if (err instanceof UnionMountedError) throw err
        agent.reportError(`reclaim:${e.rel}`, `reclaim ${fromBytes(e.rel)}: ${(err as Error).message}`)
      }
      sum.kept++
    }
    // an opaque dir whose replacement has not reached gv0 yet would let gv0's old contents show through
    const removable = empty.filter((e) => !unapplied.has(e.rel))
    sum.kept += empty.length - removable.length
    removable.push(...goneThere)
    for (let i = 0; i < removable.length; i += BATCH) {
      await removeBatch(agent, removable.slice(i, i + BATCH), (e) => upper.rmdir(e.rel), sum)
    }
  }
}
