// One entry applied to gv0 by its kind, its error turned into a backoff; and the pool that runs them.
import { fromBytes, parentRel, type Bytes } from '../fs/paths.ts'
import { isOpaque, isXattrWhiteout, type Xattrs } from '../fs/xattrs.ts'
import { applyOpaque } from '../publish/opaque.ts'
import type { Outcome } from '../publish/placement.ts'
import { publishDir } from '../publish/publish-dir.ts'
import { publishFile } from '../publish/publish.ts'
import { publishSymlink } from '../publish/publish-symlink.ts'
import type { PublishContext } from '../publish/publish-context.ts'
import { withParents } from '../publish/remote-parents.ts'
import { applyWhiteout } from '../publish/whiteout.ts'
import type { UpperEntry } from '../watch/scan.ts'
import { isGlobalError } from './backoff.ts'
import type { PassParts, PassSummary } from './pass-parts.ts'
import { HeldError } from '../uplink/token-bucket.ts'

/**
 * Orders entries round-robin over their parent directories. gv0's FUSE mount runs one lookup, create or
 * rename at a time per directory, so parallel publishes only overlap those steps when they work in
 * different directories; in index order the workers would all queue on the first directory.
 */
export function acrossDirs(entries: UpperEntry[]): UpperEntry[] {
  const byDir = new Map<Bytes, UpperEntry[]>()
  for (const e of entries) {
    const d = parentRel(e.rel)
    const l = byDir.get(d)
    if (l) l.push(e)
    else byDir.set(d, [e])
  }
  if (byDir.size <= 1) return entries
  const lists = [...byDir.values()]
  const out: UpperEntry[] = []
  for (let i = 0; out.length < entries.length; i++) for (const l of lists) if (i < l.length) out.push(l[i])
  return out
}

/** Applies one entry; its error backs it off, and false means gv0 as a whole refused (stop the pass). */
export async function applyOrBackoff(p: PassParts, ctx: PublishContext, e: UpperEntry, x: Xattrs | null, sum: PassSummary): Promise<boolean> {
  try {
    if (e.kind === 'w') await applyOne(p, ctx, e, x, sum)
    else await withParents(ctx, e.rel, () => applyOne(p, ctx, e, x, sum))
    p.backoff.clearEntry(e.rel)
    p.errors.clearEntry(e.rel)
    return true
  } catch (err) {
    if (err instanceof HeldError) {
      // paused or stopping mid-copy: the temporary is gone, the entry waits without a backoff
      p.pending.notReady.set(e.rel, err.message)
      return false
    }
    const code = (err as NodeJS.ErrnoException).code ?? ''
    const message = `${fromBytes(e.rel)}: ${(err as Error).message}`
    sum.failed++
    p.backoff.failEntry(e.rel, message)
    p.pending.notReady.set(e.rel, `failed: ${(err as Error).message}`)
    if (isGlobalError(code)) {
      p.backoff.failGlobal(`gv0 not taking writes: ${message}`)
      p.errors.note('global', `gv0 not taking writes (${code}): ${message}`)
      return false
    }
    p.errors.noteEntry(e.rel, message)
    return true
  }
}

async function applyOne(p: PassParts, ctx: PublishContext, e: UpperEntry, x: Xattrs | null, sum: PassSummary): Promise<void> {
  if (e.kind === 'w' || (e.kind === 'f' && e.size === 0 && isXattrWhiteout(x))) {
    const r = await applyWhiteout(ctx, { ...e, kind: 'w' }, p.obs.deletedAfterMs(e))
    if (r === 'deleted') sum.deleted++
    if (r === 'kept') sum.conflicts++
    return
  }
  if (e.kind === 'd') {
    await publishDir(ctx, e, x)
    if (isOpaque(x) && !p.state.get(e.rel)?.opaqueDone) {
      const kept = await applyOpaque(ctx, e)
      sum.deleted++
      if (kept.length) sum.conflicts += kept.length
    }
    return
  }
  let out: Outcome | null = null
  if (e.kind === 'f') out = await publishFile(ctx, e, x)
  else if (e.kind === 'l') out = await publishSymlink(ctx, e)
  if (!out) return
  if (out.result === 'changed') {
    p.pending.notReady.set(e.rel, out.reason)
    sum.skipped++
    return
  }
  if (out.result === 'published' || out.result === 'conflict') {
    sum.published++
    sum.bytes += out.bytes
    p.state.notePublished(out.bytes)
    p.rate.add(out.bytes)
    if (out.result === 'conflict') sum.conflicts++
  }
}
