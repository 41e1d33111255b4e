// A union the evict cycle unmounted but could not mount again: writes to the mount point would land
// on the root disk and hide cached data, so it is reported until mounted, and retried.
import type { LockedAgent } from '../core/locked-agent.ts'
import type { BrickVerdict } from '../fs/brick-health.ts'
import { isUnionMounted, mountUnion } from '../fs/mounts.ts'

const pending = new WeakSet<LockedAgent>()

/** True while the union is down because a remount failed. */
export function remountPending(agent: LockedAgent): boolean {
  return pending.has(agent)
}

/** Mounts the union again after an evict (brick mode: on the verdict asked before the umount); a failure is reported and left for `retryRemount`. */
export async function remountAfterEvict(agent: LockedAgent, verdict?: BrickVerdict): Promise<string | null> {
  try {
    await mountUnion(agent.cfg, verdict)
    pending.delete(agent)
    agent.clearError('mount')
    return null
  } catch (err) {
    const message = `union ${agent.cfg.union} NOT mounted: mounting it again after evict failed (retrying): ${(err as Error).message}`
    // reported once: the error stays in status until a retry succeeds
    if (!pending.has(agent)) agent.reportError('mount', message)
    pending.add(agent)
    return message
  }
}

/** The daemon's retry: mounts the union if a remount is pending. */
export async function retryRemount(agent: LockedAgent, log: (line: string) => void): Promise<void> {
  if (!pending.has(agent)) return
  if (isUnionMounted(agent.cfg)) {
    pending.delete(agent)
    agent.clearError('mount')
    return
  }
  if ((await remountAfterEvict(agent)) === null) log(`union ${agent.cfg.union} mounted again`)
}
