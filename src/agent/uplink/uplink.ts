// The upload limit in force: the timetable, a `limit` override until the timetable's next change, and
// `flush --now` drains that ignore both. Every copy into gv0 passes its bytes through take().
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { writeFileAtomic } from '../fs/atomic-write.ts'
import { DrainMeter } from './drain-meter.ts'
import { etaSeconds } from './progress.ts'
import { PAUSED, UNLIMITED, formatLimit, parseBandwidth, parseLimit, scheduledAt, type Bandwidth, type Limit } from './timetable.ts'
import { HeldError, TokenBucket, realBucketClock, type BucketClock } from './token-bucket.ts'

export { HeldError }

/** What status reports about the uplink (also the two metrics). */
export interface UplinkReport {
  /** `off`, `pause` or a rate like `512 KiB/s` */
  limit: string
  /** for metrics: 0 unlimited, -1 paused, else bytes per second */
  limitBytesPerSecond: number
  source: 'timetable' | 'limit command' | 'flush --now'
  /** the next change of the limit in force, or null */
  next: { at: string; limit: string } | null
  drainBytesPerSecond: number
  /** bytes of files being copied that are in gv0 already (pending bytes count whole files until published) */
  copiedBytes: number
  /** seconds until what is pending is drained at the current rate or limit; null: unknown or paused */
  etaSeconds: number | null
}

interface Override {
  limit: Limit
  /** wall ms when the timetable takes over again; null: until `limit --clear` */
  until: number | null
}

export class Uplink {
  private readonly bucket: TokenBucket
  private readonly meter: DrainMeter
  private override: Override | null = null
  private bypasses = 0
  private stopping = false
  private copying = 0
  private readonly file: string | null

  constructor(
    readonly bandwidth: Bandwidth,
    stateDir: string | null,
    private readonly wall: () => number = Date.now,
    clock: BucketClock = realBucketClock,
  ) {
    this.bucket = new TokenBucket(clock)
    this.meter = new DrainMeter(() => clock.now())
    this.file = stateDir ? join(stateDir, 'limit.json') : null
    this.override = this.loadOverride()
  }

  static fromConfig(bandwidth: string, stateDir: string | null): Uplink {
    return new Uplink(parseBandwidth(bandwidth ?? 'off'), stateDir)
  }

  private loadOverride(): Override | null {
    if (!this.file) return null
    try {
      const raw = JSON.parse(readFileSync(this.file, 'utf8')) as { limit: string; until: number | null }
      return { limit: parseLimit(raw.limit), until: typeof raw.until === 'number' ? raw.until : null }
    } catch {
      return null
    }
  }

  /** The override, dropped once the timetable has changed since it was set. */
  private activeOverride(): Override | null {
    if (this.override?.until != null && this.wall() >= this.override.until) {
      this.override = null
      this.saveOverride()
    }
    return this.override
  }

  private saveOverride(): void {
    if (!this.file) return
    if (this.override) writeFileAtomic(this.file, JSON.stringify({ limit: formatLimit(this.override.limit), until: this.override.until }) + '\n')
    else rmSync(this.file, { force: true })
  }

  /**
   * Sets the limit until the timetable's next change (a plain limit has none: until cleared), kept on
   * the cache disk so a restart keeps it; null goes back to the timetable.
   */
  setOverride(text: string | null): void {
    if (text === null) this.override = null
    else {
      const next = scheduledAt(this.bandwidth, new Date(this.wall())).next
      this.override = { limit: parseLimit(text), until: next ? next.at.getTime() : null }
    }
    this.saveOverride()
  }

  /** The limit in force now, ignoring `flush --now`. */
  limit(): Limit {
    return this.activeOverride()?.limit ?? scheduledAt(this.bandwidth, new Date(this.wall())).limit
  }

  /** The limit copies obey right now. */
  private effective(): Limit {
    return this.bypasses > 0 ? UNLIMITED : this.limit()
  }

  /** Whether copies are held to a rate or paused right now. */
  limited(): boolean {
    return this.effective() !== UNLIMITED
  }

  /** Why nothing may be published now (paused, stopping), or null. */
  heldReason(): string | null {
    if (this.stopping) return 'agent stopping'
    if (this.effective() !== PAUSED) return null
    const o = this.activeOverride()
    const until = o ? (o.until === null ? ' until `gfs-writecache limit --clear`' : ` until ${new Date(o.until).toISOString()}`) : ''
    return `publishing paused (${o ? 'gfs-writecache limit pause' : `timetable ${JSON.stringify(this.bandwidth.text)}`}${until})`
  }

  /** Runs `fn` with the limit lifted (`flush --now`). */
  async unlimited<T>(fn: () => Promise<T>): Promise<T> {
    this.bypasses++
    try {
      return await fn()
    } finally {
      this.bypasses--
    }
  }

  /** Ends every wait: copies in progress stop with HeldError (the daemon is stopping). */
  stop(): void {
    this.stopping = true
  }

  /** The largest chunk a copy should read at once, so one chunk is one short burst. */
  chunkBytes(max: number): number {
    return Math.min(max, TokenBucket.burst(this.effective()))
  }

  /** Waits until `n` more bytes may go into gv0; throws HeldError when publishing is paused or stopping. */
  async take(n: number): Promise<void> {
    await this.bucket.take(n, () => this.effective(), () => this.heldReason())
    this.meter.add(n)
    this.copying += n
  }

  /** A copy that took `n` bytes in all is over (published or not): they count as pending or published again. */
  copyEnded(n: number): void {
    this.copying = Math.max(0, this.copying - n)
  }

  report(pendingBytes: number): UplinkReport {
    const o = this.activeOverride()
    const sched = scheduledAt(this.bandwidth, new Date(this.wall()))
    const limit = this.effective()
    const drain = this.meter.bytesPerSecond()
    let next: UplinkReport['next'] = null
    if (this.bypasses === 0 && o && o.until !== null) next = { at: new Date(o.until).toISOString(), limit: formatLimit(scheduledAt(this.bandwidth, new Date(o.until)).limit) }
    else if (this.bypasses === 0 && !o && sched.next) next = { at: sched.next.at.toISOString(), limit: formatLimit(sched.next.limit) }
    return {
      limit: formatLimit(limit),
      limitBytesPerSecond: limit === UNLIMITED ? 0 : limit === PAUSED ? -1 : limit,
      source: this.bypasses > 0 ? 'flush --now' : o ? 'limit command' : 'timetable',
      next,
      drainBytesPerSecond: Math.round(drain),
      copiedBytes: Math.min(this.copying, pendingBytes),
      etaSeconds: etaSeconds(Math.max(0, pendingBytes - this.copying), drain, limit),
    }
  }
}
