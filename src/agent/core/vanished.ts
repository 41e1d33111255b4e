// Names that left upper (their records remain, their upper entries are gone): removed from gv0 after the pass's
// creations and deletes, a directory with the names below it as one, never before a delete above them.
import { depthOf, fromBytes, parentRel, type Bytes } from '../fs/paths.ts'
import type { PublishContext } from '../publish/publish-context.ts'
import { removeLower } from '../publish/remove-lower.ts'
import type { UpperEntry } from '../watch/scan.ts'
import { isGlobalError } from './backoff.ts'
import type { Held } from './delete-order.ts'
import type { PassParts, PassSummary } from './pass-parts.ts'
import { isDone } from './pending.ts'

/**
 * Deletes and replaced directories of this pass's candidates that are still not applied (not quiet yet, held,
 * failed): a name that left upper below one of them waits for it. Applied first, the name's own removal
 * would forget what its record knew (a directory replaced here hid gv0's entries below it from the union),
 * and the delete above, applied later, would judge what the removal kept by time alone.
 */
export function unappliedAbove(p: PassParts, cands: UpperEntry[]): (rel: Bytes) => Bytes | null {
  const waiting = new Set<Bytes>()
  for (const c of cands) {
    if (c.kind !== 'w' && c.kind !== 'd' && !(c.kind === 'f' && c.size === 0)) continue
    const e = p.index.entries.get(c.rel)
    if (e && !isDone(e, p.state.get(c.rel))) waiting.add(c.rel)
  }
  return (rel) => {
    if (waiting.size === 0) return null
    for (let r = parentRel(rel); r !== ''; r = parentRel(r)) if (waiting.has(r)) return r
    return null
  }
}

/**
 * The names that left upper, grouped under the topmost of them: a directory that went with names below it is
 * removed from gv0 as one, with the records below still there. Removed one by one, deepest first, a name's
 * own removal forgot its record (a conflict copy's, say: gv0's file there is the other host's), and the
 * directory's removal then judged gv0's file by time alone, and deleted one the union never showed.
 */
function byTopmost(gone: Bytes[]): Map<Bytes, Bytes[]> {
  const set = new Set(gone)
  const groups = new Map<Bytes, Bytes[]>()
  for (const rel of [...gone].sort((a, b) => depthOf(a) - depthOf(b))) {
    let top = rel
    for (let r = parentRel(rel); r !== ''; r = parentRel(r)) if (set.has(r)) top = r
    if (top === rel) groups.set(rel, [])
    else groups.get(top)?.push(rel)
  }
  return groups
}

export async function applyVanished(p: PassParts, lanes: PublishContext[], gone: Bytes[], sum: PassSummary, held: Held, above: (rel: Bytes) => Bytes | null): Promise<void> {
  for (const [rel, below] of byTopmost(gone)) {
    const rec = p.state.get(rel)
    if (!rec) continue
    const wait = (why: string) => {
      for (const r of [rel, ...below]) p.pending.notReady.set(r, why)
      sum.skipped++
    }
    const first = above(rel)
    if (first !== null) {
      wait(`waits for ${fromBytes(first)} (deleted or replaced here) to be applied first`)
      continue
    }
    let why = await held(p.obs.sinceOf(rel), rel)
    for (const b of below) why ??= await held(p.obs.sinceOf(b), b)
    if (why) {
      wait(why)
      continue
    }
    const ctx = p.lanes.laneFor(rel, lanes)
    if (lanes.length > 1) p.lanes.note(rel, ctx)
    try {
      if (await ctx.upperFs.lstatOrNull(rel)) continue // index was stale
      if (rec.conflictPath) {
        // gv0's name holds the remote version since a conflict: the local copy is what went away
        p.state.delete(rel)
        continue
      }
      const kept = await removeLower(ctx, rel, rec.publishedAt, 'deleted here')
      p.state.delete(rel)
      // judged in that removal, each with its record: removed, or kept as the other host's
      for (const b of below) p.state.delete(b)
      if (kept.length) sum.conflicts += kept.length
      else sum.deleted++
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? ''
      p.errors.noteEntry(rel, `${fromBytes(rel)}: applying delete: ${(err as Error).message}`)
      p.pending.notReady.set(rel, `failed: applying delete: ${(err as Error).message}`)
      sum.failed++
      if (isGlobalError(code)) {
        sum.blocked = p.backoff.failGlobal(`gv0 not taking writes: ${(err as Error).message}`).message
        return
      }
    }
  }
}
