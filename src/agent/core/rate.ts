// The publish rate over the last minute, and the publishes' own durations, as status reports them.
export class PublishRate {
  private readonly window: { t: number; bytes: number }[] = []
  private readonly startedAt = Date.now()

  add(bytes: number): void {
    this.window.push({ t: Date.now(), bytes })
  }

  bytesPerSecond(): number {
    const now = Date.now()
    while (this.window.length && now - this.window[0].t > 60_000) this.window.shift()
    const span = Math.max(1, Math.min(60, (now - Math.max(this.startedAt, now - 60_000)) / 1000))
    return this.window.reduce((a, r) => a + r.bytes, 0) / span
  }
}

/**
 * How long the agent's publishes took, since it started: a Prometheus summary's sum and count. `rate()` of
 * the sum is the number of publishes in flight on average, and the sum's rate over the count's is the time
 * of one publish, which grows with the WAN's round trips (docs/drain.md).
 */
export class PublishDurations {
  count = 0
  seconds = 0

  add(ms: number): void {
    this.count++
    this.seconds += ms / 1000
  }
}
