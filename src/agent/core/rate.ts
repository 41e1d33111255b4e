// The publish rate over the last minute, as status reports it.
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
