// A token bucket shared by every copy into gv0: takers queue in order, the rate may change while they wait.
import type { Limit } from './timetable.ts'

export interface BucketClock {
  /** monotonic milliseconds */
  now(): number
  sleep(ms: number): Promise<void>
}

export const realBucketClock: BucketClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
}

/** A taker stops waiting when this says why (publishing paused, agent stopping). */
export class HeldError extends Error {
  override name = 'HeldError'
}

// A short burst: a full bucket sends at link speed for this long, which is what queues behind it on the uplink.
const BURST_SECONDS = 0.1
const MIN_BURST = 4096
// how often a waiting taker looks at the rate again (a live change applies within this)
const RECHECK_MS = 200

export class TokenBucket {
  private tokens = 0
  private last: number
  private queue: Promise<void> = Promise.resolve()

  constructor(private readonly clock: BucketClock = realBucketClock) {
    this.last = clock.now()
  }

  /** The burst size at a rate: also the largest chunk a copy should take at once. */
  static burst(rate: Limit): number {
    return Number.isFinite(rate) ? Math.max(MIN_BURST, Math.floor(rate * BURST_SECONDS)) : Infinity
  }

  private refill(rate: Limit): void {
    const now = this.clock.now()
    if (Number.isFinite(rate) && rate > 0) this.tokens = Math.min(TokenBucket.burst(rate), this.tokens + (rate * (now - this.last)) / 1000)
    this.last = now
  }

  /**
   * Waits until `n` bytes may be sent at the rate `rate()` returns (read again while waiting) and takes
   * them; a chunk larger than the burst leaves the bucket in debt, so the average holds. `held()`
   * returning a reason throws HeldError instead.
   */
  take(n: number, rate: () => Limit, held: () => string | null): Promise<void> {
    const turn = this.queue.then(() => this.acquire(n, rate, held))
    this.queue = turn.catch(() => {})
    return turn
  }

  private async acquire(n: number, rate: () => Limit, held: () => string | null): Promise<void> {
    for (;;) {
      const why = held()
      if (why) throw new HeldError(why)
      const r = rate()
      this.refill(r)
      if (!Number.isFinite(r)) return
      if (r > 0) {
        const need = Math.min(n, TokenBucket.burst(r))
        if (this.tokens >= need) {
          this.tokens -= n
          return
        }
        await this.clock.sleep(Math.min(RECHECK_MS, Math.ceil(((need - this.tokens) * 1000) / r)))
      } else await this.clock.sleep(RECHECK_MS)
    }
  }
}
