// `flush --wait`'s progress: one line rewritten in place on a terminal, a line every few seconds otherwise
// (the flush playbook reads those lines over SSH and shows them per host).
import { formatProgress, limitFromMetric } from './progress.ts'
import type { UplinkReport } from './uplink.ts'

/** What a progress line needs: the `progress` control request's answer. */
export interface ProgressSnapshot {
  pending: { entries: number; bytes: number }
  uplink: UplinkReport
}

interface ProgressIo {
  out(text: string): void
  tty?: boolean
  raw?(text: string): void
}

const TTY_EVERY_MS = 1000
const LINE_EVERY_MS = 5000

/** Polls the agent's status and prints progress until stop(); the first line comes after one period. */
export function showProgress(io: ProgressIo, poll: () => Promise<ProgressSnapshot | null>): { stop(): void } {
  const tty = io.tty === true && io.raw !== undefined
  let shown = false
  let stopped = false
  let busy = false
  const timer = setInterval(() => {
    if (busy) return
    busy = true
    poll()
      .then((s) => {
        if (!s || stopped) return
        const line = formatProgress({
          entries: s.pending.entries,
          bytes: Math.max(0, s.pending.bytes - s.uplink.copiedBytes),
          drainBytesPerSecond: s.uplink.drainBytesPerSecond,
          limitBytesPerSecond: limitFromMetric(s.uplink.limitBytesPerSecond),
        })
        if (tty) io.raw!(`\r\x1b[K${line}`)
        else io.out(line)
        shown = true
      })
      .catch(() => {})
      .finally(() => (busy = false))
  }, tty ? TTY_EVERY_MS : LINE_EVERY_MS)
  timer.unref()
  return {
    stop() {
      stopped = true
      clearInterval(timer)
      if (tty && shown) io.raw!('\r\x1b[K')
    },
  }
}
