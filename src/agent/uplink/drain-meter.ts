// The drain rate as the link sees it: bytes handed to gv0 by the copies, over the last few seconds.
export class DrainMeter {
  private readonly slots: { t: number; bytes: number }[] = []

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly windowMs = 10_000,
  ) {}

  add(bytes: number): void {
    const t = Math.floor(this.now() / 1000) * 1000
    const last = this.slots[this.slots.length - 1]
    if (last && last.t === t) last.bytes += bytes
    else this.slots.push({ t, bytes })
  }

  /** Bytes per second over the window; 0 when nothing was copied in it. */
  bytesPerSecond(): number {
    const now = this.now()
    while (this.slots.length && now - this.slots[0].t > this.windowMs) this.slots.shift()
    if (!this.slots.length) return 0
    // from the first slot in the window (a drain that just began is not diluted by the idle time before it)
    const span = Math.max(1000, now - this.slots[0].t)
    return (this.slots.reduce((a, s) => a + s.bytes, 0) * 1000) / span
  }
}
