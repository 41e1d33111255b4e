// The evict cycle and the pre-mount prepare step: the only moments upper may be changed.
import type { Agent, LockedAgent } from '../core/agent.ts'
import { crashPoint } from '../core/crash-points.ts'
import { brickHealth } from '../fs/brick-health.ts'
import { isUnionMounted, umountUnion } from '../fs/mounts.ts'
import { unionHolders, type Holder } from '../watch/open-files.ts'
import { reclaim, UnionMountedError, type ReclaimSummary } from './reclaim.ts'
import { remountAfterEvict, remountPending } from './remount.ts'

export type EvictResult =
  | { ok: true; published: number; reclaim: ReclaimSummary; message: string; mountError?: string }
  | { ok: false; holders: Holder[]; message: string }

/** Describes who holds the union, one process per line. */
export function describeHolders(holders: Holder[]): string {
  const seen = new Map<number, Holder[]>()
  for (const h of holders) seen.set(h.pid, [...(seen.get(h.pid) ?? []), h])
  return [...seen.entries()]
    .map(([pid, hs]) => `pid ${pid} (${hs[0].command}): ${hs.map((h) => `${h.via} ${h.path}`).slice(0, 3).join(', ')}`)
    .join('\n')
}

/** Merges what is quiescent into gv0 and reclaims what gv0 holds; the union must be unmounted. */
async function mergeOffline(agent: LockedAgent): Promise<{ published: number; reclaim: ReclaimSummary }> {
  agent.retryNow()
  await agent.rescan()
  await agent.removeStaleTemps()
  let published = 0
  // under an upload limit a drain here would keep the union down (evict) or the boot waiting (prepare) for
  // as long as it takes: only what is published already is reclaimed, the daemon publishes the rest
  for (let round = 0; round < 3 && !agent.uplink.limited(); round++) {
    const s = await agent.pass({ settleMs: 0 })
    published += s.published + s.deleted
    if (s.blocked || agent.candidates().length === 0) break
    await agent.rescan()
  }
  agent.saveState()
  crashPoint('offline:after-merge')
  return { published, reclaim: await reclaim(agent) }
}

/** Unmounts the union (plain umount) when nothing holds it, merges, reclaims, and mounts it again. */
export async function evictCycle(agent: Agent): Promise<EvictResult> {
  // brick mode: gluster asked while the union is still up (its answer can take 30 s while a peer is away)
  const verdict = agent.cfg.unionLower === 'brick' && isUnionMounted(agent.cfg) ? await brickHealth.check(agent.cfg.volume!, agent.cfg.brick!) : undefined
  return agent.exclusive(async (held) => {
    const cfg = agent.cfg
    const mounted = isUnionMounted(cfg)
    // after a failed remount the union is down but must come back at the end of this cycle too
    const wasMounted = mounted || remountPending(held)
    if (mounted) {
      const holders = unionHolders(cfg.union)
      if (holders.length) return { ok: false, holders, message: `union busy:\n${describeHolders(holders)}` }
      const u = await umountUnion(cfg)
      if (!u.ok) {
        const again = unionHolders(cfg.union)
        return { ok: false, holders: again, message: `umount ${cfg.union} failed: ${u.message}\n${describeHolders(again)}`.trim() }
      }
      crashPoint('evict:after-unmount')
    }
    let result: EvictResult
    let mountError: string | null = null
    try {
      const r = await mergeOffline(held)
      held.noteEviction()
      held.saveState()
      result = {
        ok: true,
        ...r,
        message: `published ${r.published}, reclaimed ${r.reclaim.removed} entries, ${r.reclaim.kept} kept in the cache`,
      }
    } finally {
      if (wasMounted) {
        crashPoint('evict:before-remount')
        mountError = await remountAfterEvict(held, verdict)
        crashPoint('evict:after-remount')
      }
      await held.rescan()
    }
    return mountError && result.ok ? { ...result, mountError, message: `${result.message}; ${mountError}` } : result
  })
}

/** The offline step before the union is mounted (systemd gfs-writecache-prepare.service). */
export async function prepare(agent: Agent): Promise<{ published: number; reclaim: ReclaimSummary; problem: string | null }> {
  if (isUnionMounted(agent.cfg)) throw new UnionMountedError(`${agent.cfg.union} is mounted: prepare only runs before the union is mounted`)
  return agent.exclusive(async (held) => {
    const r = await mergeOffline(held)
    const p = held.pending()
    return { ...r, problem: p.entries ? `${p.entries} entries not published yet: ${p.reasons.join('; ')}` : null }
  })
}
