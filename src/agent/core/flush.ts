// `flush`: rounds of scan and pass until nothing is pending, nothing more can be published, or time is up.
import type { PendingSummary } from './pending.ts'

export interface FlushOptions {
  wait: boolean
  timeoutMs: number
  settleMs?: number
  /** ignore the upload limit (also pause) for this flush */
  now?: boolean
}

export interface FlushResult {
  ok: boolean
  pending: PendingSummary
  message: string
}

/** One round (a scan and a pass, under the agent's lock) and what the loop asks the agent between rounds. */
export interface FlushRounds {
  round(settleMs: number | undefined): Promise<{ published: number; pending: PendingSummary; stuck: string[] | null }>
  watchedFor(ms: number): boolean
  backoffLeftMs(): number | null
}

export async function flushRounds(opts: FlushOptions, defaultSettleMs: number, agent: FlushRounds): Promise<FlushResult> {
  // the caller's timeout is real time, whatever clock drives settle times and backoff
  const deadline = performance.now() + opts.timeoutMs
  const settleMs = opts.settleMs ?? defaultSettleMs
  let settledOnce = false
  for (;;) {
    const { published, pending: p, stuck } = await agent.round(opts.settleMs)
    if (stuck?.length) {
      // everything publishable is in gv0: waiting longer would not change what is left
      const shown = stuck.slice(0, 10).join('; ') + (stuck.length > 10 ? `; and ${stuck.length - 10} more` : '')
      return { ok: false, pending: p, message: `${stuck.length} entries cannot be published now: ${shown}` }
    }
    if (p.entries === 0) return { ok: true, pending: p, message: 'nothing pending' }
    // a one-shot flush in a fresh process: give what it found the settle time to be seen unchanged, once
    if (!opts.wait && !settledOnce && !agent.watchedFor(settleMs)) {
      settledOnce = true
      await new Promise((r) => setTimeout(r, settleMs))
      continue
    }
    if (!opts.wait) {
      return { ok: true, pending: p, message: `published ${published}, ${p.entries} still pending` }
    }
    if (performance.now() >= deadline) {
      return {
        ok: false,
        pending: p,
        message: `${p.entries} entries (${p.bytes} bytes) still pending after ${opts.timeoutMs / 1000}s: ${p.reasons.join('; ') || 'settling'}`,
      }
    }
    const left = agent.backoffLeftMs()
    const wait = left !== null ? Math.max(50, left) : 100
    await new Promise((r) => setTimeout(r, Math.min(wait, 1000, Math.max(0, deadline - performance.now()))))
  }
}
