// Which drain mount publishes which name (docs/drain.md): names are dealt to whichever mount has a free publish
// slot, except a name one mount worked on lately, which stays with that mount until its caches have expired.
import { laneOf } from '../fs/drain-mounts.ts'
import type { Bytes } from '../fs/paths.ts'
import type { Clock } from './observations.ts'

/**
 * How long a name stays with the mount that last worked on it. A gluster client caches a name's attributes
 * (md-cache, `performance.md-cache-timeout`) and the kernel its dentry and attributes (FUSE entry and
 * attribute timeouts) for a second each by default, and provisioning raises none of them: after ten seconds
 * no mount remembers anything of a name it has not touched since, so another mount sees it as it is in gv0.
 */
export const LANE_LEASE_MS = 10_000

/** A lane: one mount's publish context, named by the mount's path. */
export interface Lane {
  lower: Bytes
}

export class LaneLeases {
  private readonly leases = new Map<Bytes, { lower: Bytes; until: number }>()

  constructor(
    private readonly clock: Clock,
    private readonly leaseMs = LANE_LEASE_MS,
  ) {}

  /** The lane `rel` must go through now: the one that worked on it within the lease, if still usable. */
  pinned<L extends Lane>(rel: Bytes, lanes: readonly L[]): L | undefined {
    const l = this.leases.get(rel)
    if (!l) return undefined
    if (l.until <= this.clock.mono()) {
      this.leases.delete(rel)
      return undefined
    }
    return lanes.find((x) => x.lower === l.lower)
  }

  /** The lane for a single operation outside a dealt batch: the pinned one, else a fixed one per name. */
  laneFor<L extends Lane>(rel: Bytes, lanes: readonly L[]): L {
    return this.pinned(rel, lanes) ?? lanes[laneOf(rel, lanes.length)]!
  }

  /** Notes that `lane` worked on `rel` just now (after the operation, so the lease covers what it cached). */
  note(rel: Bytes, lane: Lane): void {
    this.leases.set(rel, { lower: lane.lower, until: this.clock.mono() + this.leaseMs })
  }

  /** Forgets expired leases (once per pass: the map holds only names worked on in the last lease time). */
  prune(): void {
    const now = this.clock.mono()
    for (const [rel, l] of this.leases) if (l.until <= now) this.leases.delete(rel)
  }

  get size(): number {
    return this.leases.size
  }
}

/**
 * Runs `fn` over `items`, `perLane` at a time on each lane. An item pinned to a lane waits for that lane's
 * slots; any other item goes to the first lane with a free slot, in `items`' order, so no lane idles while
 * another has a queue (hashing names over the mounts left some with a quarter more work than the mean). A
 * false from `fn` stops every lane after the items in flight.
 */
export async function dealOverLanes<T, L>(
  items: readonly T[],
  lanes: readonly L[],
  perLane: number,
  pinnedTo: (item: T) => L | undefined,
  fn: (item: T, lane: L) => Promise<boolean>,
): Promise<void> {
  const own = new Map<L, { items: T[]; next: number }>(lanes.map((l) => [l, { items: [], next: 0 }]))
  const shared = { items: [] as T[], next: 0 }
  for (const item of items) {
    const l = pinnedTo(item)
    const q = l === undefined ? undefined : own.get(l)
    ;(q ?? shared).items.push(item)
  }
  let stop = false
  const take = (q: { items: T[]; next: number }): T | undefined => (q.next < q.items.length ? q.items[q.next++] : undefined)
  const worker = async (lane: L) => {
    const mine = own.get(lane)!
    while (!stop) {
      const item = take(mine) ?? take(shared)
      if (item === undefined) return
      if (!(await fn(item, lane))) stop = true
    }
  }
  const width = Math.max(1, perLane)
  await Promise.all(lanes.flatMap((lane) => Array.from({ length: width }, () => worker(lane))))
}
