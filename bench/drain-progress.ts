// The drain over time, for the chart: a host's backlog as its agent reports it, sampled through a bench step
// by a loop on the host itself (one exec into the lab takes seconds; the agent's status well under one).
import * as lab from '../src/lab/api.ts'

export interface DrainSample {
  /** seconds since the recording started */
  seconds: number
  pendingBytes: number
  pendingEntries: number
}

/** Reads the loop's lines (`<epoch seconds> <status JSON>`); lines that are not a report are left out. */
export function parseSamples(stdout: string, t0Seconds: number): DrainSample[] {
  const samples: DrainSample[] = []
  for (const line of stdout.split('\n')) {
    const space = line.indexOf(' ')
    if (space < 0) continue
    try {
      const s = JSON.parse(line.slice(space + 1)) as { pending: { bytes: number; entries: number } }
      const at = Number(line.slice(0, space))
      if (Number.isFinite(at)) samples.push({ seconds: at - t0Seconds, pendingBytes: s.pending.bytes, pendingEntries: s.pending.entries })
    } catch {
      // an agent restarting answers with an error: leave the sample out
    }
  }
  return samples
}

/** Samples `gfs-writecache status --json` on `host` about twice a second while `step` runs (the hosts share this machine's clock). */
export async function recordDrain<T>(host: string, step: () => Promise<T>): Promise<{ result: T; samples: DrainSample[] }> {
  const stop = `/run/gfs-writecache-bench-drain-${process.pid}`
  await lab.exec(host, ['rm', '-f', stop])
  const t0 = Date.now() / 1000
  const loop = lab.exec(host, ['sh', '-c', `while [ ! -e ${stop} ]; do printf '%s ' "$(date +%s.%N)"; gfs-writecache status --json 2>/dev/null || echo; sleep 0.2; done; rm -f ${stop}`], {
    timeoutMs: 3 * 3600_000,
  })
  let result: T
  let stdout = ''
  try {
    result = await step()
  } finally {
    await lab.exec(host, ['touch', stop])
    stdout = (await loop).stdout
  }
  return { result, samples: parseSamples(stdout, t0) }
}
