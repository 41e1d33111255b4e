// A publish pass: the pending entries level by level (parents first), creations before deletes, and its summary.
import { depthOf, fromBytes, type Bytes } from '../fs/paths.ts'
import { drainMountsNow } from '../fs/drain-mounts.ts'
import { lowerProblem } from '../fs/mounts.ts'
import { SafeTree } from '../fs/safe-fs.ts'
import { isXattrWhiteout, readXattrs, type Xattrs } from '../fs/xattrs.ts'
import { linkGroups, linkOrder } from '../publish/hard-links.ts'
import type { PublishContext } from '../publish/publish-context.ts'
import { entryFromStat, type UpperEntry } from '../watch/scan.ts'
import { unionMountedAtMs } from '../watch/dentries.ts'
import { deleteHeld, oldestNewName, RenameHalves, type Held, type NewName } from './delete-order.ts'
import { acrossDirs, applyOrBackoff } from './dispatch.ts'
import { dealOverLanes } from './lanes.ts'
import type { PassParts, PassSummary } from './pass-parts.ts'
import { isDone } from './pending.ts'
import { quiescence } from './quiescence.ts'
import { applyVanished, unappliedAbove } from './vanished.ts'

export const emptySummary = (): PassSummary => ({ published: 0, bytes: 0, conflicts: 0, deleted: 0, skipped: 0, failed: 0, blocked: null })

/**
 * Publishes every quiescent pending entry once. Errors never escape: a gv0-wide error stops
 * the pass and backs off, an entry's own error backs off that entry only. `sum` fills as the pass goes, so
 * another reader (the dentry upkeep) sees the entries published so far.
 */
export async function runPass(p: PassParts, settleMs: number, sum: PassSummary = emptySummary()): Promise<PassSummary> {
  const holding = p.backoff.globalHolds()
  // gv0 that did not answer is looked at again each time: a stat of its root is cheap, and status should not
  // report it unreachable for up to a minute after it is back. A hold for refused writes waits its time.
  if (holding !== null && !p.backoff.global?.unreachable) {
    sum.blocked = holding
    return sum
  }
  const problem = await lowerProblem(p.cfg)
  if (problem) {
    if (holding !== null) {
      sum.blocked = holding
      return sum
    }
    p.backoff.failGlobal(problem, { unreachable: true })
    p.errors.note('global', problem)
    sum.blocked = problem
    return sum
  }
  p.drops.note(unionMountedAtMs(p.cfg.work))
  const cands = p.pending.candidates()
  const gone = p.pending.vanished()
  // a FIFO or a name like a temporary is never published, but hides gv0's entry from the union all the same
  p.obs.round([...cands, ...p.pending.unpublished], gone, p.index.walkedSince, (rel) => p.state.get(rel) !== undefined)
  if (cands.length === 0 && gone.length === 0) {
    clearGlobal(p)
    p.pending.notReady.clear()
    return sum
  }
  p.pending.notReady.clear()
  const held = p.uplink.heldReason()
  if (held) {
    sum.blocked = held
    return sum
  }
  p.writers.forget()
  const ctx = passContext(p)
  const lanes = await drainLanes(p, ctx)
  p.lanes.prune()
  try {
    await publishLevels(p, ctx, lanes, cands, gone, settleMs, sum)
  } finally {
    for (const l of lanes) if (l !== ctx) l.lowerFs.close()
    ctx.lowerFs.close()
    ctx.upperFs.close()
  }
  return sum
}

function clearGlobal(p: PassParts): void {
  p.backoff.clearGlobal()
  p.errors.clear('global')
}

/** A pass's context; its directory handles stay open until the pass closes them. */
function passContext(p: PassParts): PublishContext {
  let groups: Map<number, Bytes[]> | null = null
  return {
    upper: p.upper,
    lower: p.lower,
    lowerFs: new SafeTree(p.lower, 'gv0'),
    upperFs: new SafeTree(p.upper, 'upper', true),
    names: p.names,
    host: p.cfg.host,
    staleDentryMs: (born, rel) => p.drops.staleMs(born, rel),
    clockSkewMs: p.cfg.clockSkewSeconds * 1000,
    state: p.state,
    now: () => new Date(),
    report: (c) => {
      p.state.addConflict(c)
      p.log(`conflict: ${c.path}: ${c.message}`, 'warning')
    },
    // built at the first hard link a pass meets: passes without any never walk the index for it
    namesOf: (ino) => (groups ??= linkGroups(p.index.entries.values())).get(ino) ?? [],
    warnOnce: (key, message) => p.errors.warnOnce(key, message),
    busy: (rel) => p.writers.busy(rel),
    uplink: p.uplink,
    upperShownSince: (rel) => p.obs.upperShownSince(rel),
    replacedAfterMs: (e) => p.obs.replacedAfterMs(e),
  }
}

/** The pass's contexts per usable drain mount (docs/drain.md), or the pass's own on gv0_mount when none is. */
async function drainLanes(p: PassParts, ctx: PublishContext): Promise<PublishContext[]> {
  if (p.cfg.drainMounts === 0) return [ctx]
  const { usable } = await drainMountsNow(p.cfg)
  if (usable.length === 0) return [ctx]
  return usable.map((path) => ({ ...ctx, lower: path, lowerFs: new SafeTree(path, 'gv0') }))
}

/** Publishes entries dealt over the lanes (lanes.ts), publishConcurrency at a time per lane; true when gv0 blocked. */
function publishAll(p: PassParts, lanes: PublishContext[], entries: UpperEntry[], xs: Map<Bytes, Xattrs | null>, sum: PassSummary): Promise<boolean> {
  let blocked = false
  const pinnedTo = (e: UpperEntry) => p.lanes.pinned(e.rel, lanes)
  return dealOverLanes(acrossDirs(entries), lanes, p.cfg.publishConcurrency, pinnedTo, async (e, lane) => {
    // real time, whatever clock drives settle times: the metrics' publish durations
    const began = performance.now()
    const ok = await applyOrBackoff(p, lane, e, xs.get(e.rel) ?? null, sum)
    p.durations.add(performance.now() - began)
    if (lanes.length > 1) p.lanes.note(e.rel, lane)
    if (ok) return true
    blocked = true
    return false
  }).then(() => blocked)
}

async function publishLevels(p: PassParts, ctx: PublishContext, lanes: PublishContext[], cands: UpperEntry[], gone: Bytes[], settleMs: number, sum: PassSummary): Promise<void> {
  // applied after every creation of the pass, so a rename's new name reaches gv0 before its old one goes
  const deletes: { e: UpperEntry; x: Xattrs | null }[] = []
  // group by depth: a level's directories exist in gv0 before the next level is published
  const levels = new Map<number, UpperEntry[]>()
  for (const e of cands) {
    const d = depthOf(e.rel)
    const l = levels.get(d) ?? []
    l.push(e)
    levels.set(d, l)
  }
  for (const level of [...levels.keys()].sort((a, b) => a - b)) {
    const ready: UpperEntry[] = []
    for (const stale of levels.get(level) as UpperEntry[]) {
      const bo = p.backoff.entryHolds(stale.rel)
      if (bo) {
        p.pending.notReady.set(stale.rel, `retrying later: ${bo.message}`)
        sum.skipped++
        continue
      }
      let e: UpperEntry
      try {
        e = entryFromStat(stale.rel, await ctx.upperFs.lstat(stale.rel))
      } catch {
        continue // vanished: the next scan forgets it
      }
      p.index.entries.set(e.rel, e)
      if (isDone(e, p.state.get(e.rel))) continue
      if (e.kind !== 'd') {
        const q = quiescence(e, p.obs.see(e), settleMs, p.writers.after(p.obs.sinceOf(e.rel)))
        if (!q.quiet) {
          p.pending.notReady.set(e.rel, q.reason + (q.pids ? ` by pid ${q.pids.join(', ')}` : ''))
          sum.skipped++
          continue
        }
      }
      if (e.kind === 'w') deletes.push({ e, x: null })
      else ready.push(e)
    }
    const needX = ready.filter((e) => e.kind === 'f' || e.kind === 'd')
    const xs = new Map<Bytes, Xattrs | null>()
    try {
      const got = await readXattrs(ctx.upperFs, needX.map((e) => e.rel))
      needX.forEach((e, i) => xs.set(e.rel, got[i]))
    } catch (err) {
      p.errors.note('xattrs', `reading xattrs: ${(err as Error).message}`)
      sum.blocked = 'cannot read xattrs (is the attr package installed?)'
      return
    }
    let blocked = false
    const xattrWhiteouts = ready.filter((e) => e.kind === 'f' && e.size === 0 && isXattrWhiteout(xs.get(e.rel) ?? null))
    for (const e of xattrWhiteouts) deletes.push({ e, x: xs.get(e.rel) ?? null })
    // the first name of each inode before its other names, so those can link to it
    for (const batch of linkOrder(xattrWhiteouts.length ? ready.filter((e) => !xattrWhiteouts.includes(e)) : ready)) {
      if (blocked) break
      blocked = await publishAll(p, lanes, batch, xs, sum)
    }
    if (blocked) {
      sum.blocked = p.uplink.heldReason() ?? p.backoff.global?.message ?? 'gv0 error'
      break
    }
  }
  const holds = sum.blocked ? null : deleteHolds(p, ctx, cands, new Set(deletes.map((d) => d.e.rel)))
  if (holds) await applyDeletes(p, lanes, deletes, holds, sum)
  if (holds && !sum.blocked) await applyVanished(p, lanes, gone, sum, holds, unappliedAbove(p, cands))
  if (!sum.blocked && sum.failed === 0) clearGlobal(p)
}

/**
 * Why a delete first seen at `since` waits (delete-order.ts), from the new names still pending after
 * this pass's publishes: entries gv0 has never had from this host.
 */
function deleteHolds(p: PassParts, ctx: PublishContext, cands: UpperEntry[], deletes: Set<Bytes>): Held {
  const pendingNew: NewName[] = []
  for (const c of cands) {
    if (c.kind === 'd' || c.kind === 'w' || c.kind === 'other' || deletes.has(c.rel)) continue
    const e = p.index.entries.get(c.rel)
    const rec = p.state.get(c.rel)
    if (!e || (e.kind !== 'f' && e.kind !== 'l') || isDone(e, rec) || (rec && rec.kind !== 'w')) continue
    pendingNew.push({ rel: c.rel, since: p.obs.pendingSince(c.rel), kind: e.kind, ino: e.ino, size: e.size })
  }
  const oldest = oldestNewName(pendingNew)
  const halves = new RenameHalves(pendingNew)
  return async (since, rel) => {
    const why = deleteHeld(since, p.clock.mono(), oldest, fromBytes)
    if (why || !oldest || oldest.since > since) return why
    // waited HOLD_MAX_MS: only a delete that may be the old half of a rename still pending keeps waiting
    const rec = p.state.get(rel)
    const st = await ctx.lowerFs.lstatOrNull(rel).catch(() => null)
    const gv0 = st ? { kind: st.isDirectory() ? ('d' as const) : st.isSymbolicLink() ? ('l' as const) : ('f' as const), size: st.size } : null
    const half = halves.newHalf(since, { recordedIno: rec && !rec.reclaimed && rec.kind !== 'w' ? rec.ino : undefined, gv0 })
    return half ? `delete waits until ${fromBytes(half.rel)} (maybe its new name) is in gv0, however long that takes` : null
  }
}

async function applyDeletes(p: PassParts, lanes: PublishContext[], deletes: { e: UpperEntry; x: Xattrs | null }[], held: Held, sum: PassSummary): Promise<void> {
  const now: { e: UpperEntry; x: Xattrs | null }[] = []
  for (const d of deletes) {
    const why = await held(p.obs.sinceOf(d.e.rel), d.e.rel)
    if (why) {
      p.pending.notReady.set(d.e.rel, why)
      sum.skipped++
    } else now.push(d)
  }
  const xs = new Map(now.map((d) => [d.e.rel, d.x]))
  if (await publishAll(p, lanes, now.map((d) => d.e), xs, sum)) sum.blocked = p.backoff.global?.message ?? 'gv0 error'
}
