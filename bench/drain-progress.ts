// The drain over time, for the chart: hydra's backlog as its agent reports it, sampled through a bench step.
import * as lab from '../src/lab/api.ts'

export interface DrainSample {
  /** seconds since the recording started */
  seconds: number
  pendingBytes: number
  pendingEntries: number
}

export const drainSampleMs = 1000

/**
 * Samples `gfs-writecache status --json` on a host every second while `step` runs; a sample that fails
 * (the agent restarting) is left out rather than guessed.
 */
export async function recordDrain<T>(host: string, step: () => Promise<T>): Promise<{ result: T; samples: DrainSample[] }> {
  const samples: DrainSample[] = []
  const t0 = performance.now()
  let done = false
  const sampler = (async () => {
    while (!done) {
      const started = performance.now()
      const r = await lab.exec(host, ['gfs-writecache', 'status', '--json'], { timeoutMs: 30_000 }).catch(() => null)
      if (r?.exitCode === 0) {
        try {
          const s = JSON.parse(r.stdout) as { pending: { bytes: number; entries: number } }
          samples.push({ seconds: (started - t0) / 1000, pendingBytes: s.pending.bytes, pendingEntries: s.pending.entries })
        } catch {
          // not a report: leave the sample out
        }
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, drainSampleMs - (performance.now() - started))))
    }
  })()
  try {
    return { result: await step(), samples }
  } finally {
    done = true
    await sampler
  }
}
