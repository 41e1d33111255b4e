// Backoff on the agent's monotonic clock: one for gv0 as a whole, one per entry.
import type { Bytes } from '../fs/paths.ts'
import type { Clock } from './observations.ts'

/** Errors that mean "gv0 as a whole is not taking writes": stop the pass and back off. */
const GLOBAL_ERRORS = new Set([
  'ENOTCONN', 'EIO', 'ENOSPC', 'EDQUOT', 'EROFS', 'ETIMEDOUT', 'ESTALE', 'ENODEV', 'EHOSTDOWN',
  'EHOSTUNREACH', 'ENETUNREACH', 'ECONNREFUSED', 'ECONNABORTED', 'ENXIO', 'ECONNRESET',
])

export function isGlobalError(code: string): boolean {
  return GLOBAL_ERRORS.has(code)
}

export interface Backoff {
  until: number
  failures: number
  message: string
  /** gv0 itself did not answer (unmounted, ENOTCONN at its root): a look at it tells when that ends */
  unreachable?: boolean
}

export class Backoffs {
  global: Backoff | null = null
  private readonly entries = new Map<Bytes, Backoff>()

  constructor(
    private readonly clock: Clock,
    private readonly maxMs: number,
  ) {}

  private next(prev: Backoff | undefined | null, message: string): Backoff {
    const failures = (prev?.failures ?? 0) + 1
    const delay = Math.min(this.maxMs, 500 * 2 ** Math.min(failures - 1, 16))
    return { until: this.clock.mono() + delay, failures, message }
  }

  /** The global backoff's message while it holds, else null. */
  globalHolds(): string | null {
    return this.global && this.clock.mono() < this.global.until ? this.global.message : null
  }

  failGlobal(message: string, opts: { unreachable?: boolean } = {}): Backoff {
    return (this.global = { ...this.next(this.global, message), unreachable: opts.unreachable })
  }


  clearGlobal(): void {
    this.global = null
  }

  /** The entry's backoff while it holds. */
  entryHolds(rel: Bytes): Backoff | null {
    const bo = this.entries.get(rel)
    return bo && this.clock.mono() < bo.until ? bo : null
  }

  failEntry(rel: Bytes, message: string): void {
    this.entries.set(rel, this.next(this.entries.get(rel), message))
  }

  clearEntry(rel: Bytes): void {
    this.entries.delete(rel)
  }

  /** Lets everything retry at once (a user-requested flush). */
  retryNow(): void {
    if (this.global) this.global.until = -Infinity
    for (const b of this.entries.values()) b.until = -Infinity
  }

  /** How long until the global backoff ends (ms; null when there is none). */
  globalWaitMs(): number | null {
    return this.global ? this.global.until - this.clock.mono() : null
  }
}
