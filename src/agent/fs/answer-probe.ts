// Whether a FUSE mount answers, asked without ever waiting on it for good. A gluster client that crashed
// but hangs in its crash handler, or one that is stopped, keeps its mount in the table and never answers:
// a request sent to it waits in the kernel (uninterruptibly, once the client has read it) until the client
// process dies. So each probe is raced against a deadline, and a mount whose earlier probe is still waiting
// is not asked again: every unanswered probe holds one of libuv's threads until the client dies.
import { stat, statfs } from 'node:fs/promises'
import type { Stats } from 'node:fs'

export type ProbeAnswer = { ok: true; stats?: Stats } | { ok: false; code: string }

/** What a mount is asked: statfs for a mount as a whole, stat for a directory's type too. */
export type ProbeKind = 'statfs' | 'stat'

interface Pending {
  since: number
  answer: Promise<ProbeAnswer>
}

const pending = new Map<string, Pending>()
const last = new Map<string, ProbeAnswer>()

/** The system calls behind a probe; tests give ones that never answer. */
export const probeCalls = {
  statfs: (path: string) => statfs(path).then(() => undefined),
  stat: (path: string) => stat(path),
}

/**
 * How long a probe waits. Longer than gv0's network.ping-timeout (10 s): a client that only lost its bricks
 * answers ENOTCONN within that, so only a client that answers nothing at all runs past it.
 */
export const PROBE_TIMEOUT_MS = 15_000

function noAnswer(since: number, now: number): ProbeAnswer {
  return { ok: false, code: `no answer in ${Math.round((now - since) / 1000)} s` }
}

/**
 * Asks `path` (statfs or stat) and waits at most `timeoutMs`. While an earlier probe of the same kind still
 * waits, no new one is sent: the answer is that one's, or "no answer in N s" when it is past the deadline.
 */
export async function probe(path: string, kind: ProbeKind, timeoutMs: number, now: () => number = Date.now): Promise<ProbeAnswer> {
  const key = `${kind}:${path}`
  let p = pending.get(key)
  if (!p) {
    const since = now()
    const call = kind === 'stat' ? probeCalls.stat(path) : probeCalls.statfs(path)
    const answer = call.then(
      (stats): ProbeAnswer => ({ ok: true, ...(stats ? { stats } : {}) }),
      (err: NodeJS.ErrnoException): ProbeAnswer => ({ ok: false, code: err.code ?? String(err) }),
    )
    p = { since, answer }
    pending.set(key, p)
    void answer.then((a) => {
      last.set(key, a)
      if (pending.get(key) === p) pending.delete(key)
    })
  }
  const left = p.since + timeoutMs - now()
  if (left <= 0) return noAnswer(p.since, now())
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<ProbeAnswer>((resolve) => {
    timer = setTimeout(() => resolve(noAnswer(p.since, now())), left)
  })
  try {
    return await Promise.race([p.answer, late])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Without waiting: "no answer in N s" while a probe of `path` is past `timeoutMs`, else the last answer's
 * error, else null (answered, or never asked). For synchronous callers that only describe the mount.
 */
export function knownProblem(path: string, kind: ProbeKind, timeoutMs: number, now: () => number = Date.now): string | null {
  const key = `${kind}:${path}`
  const p = pending.get(key)
  if (p && now() - p.since >= timeoutMs) return `no answer in ${Math.round((now() - p.since) / 1000)} s`
  const a = last.get(key)
  return a && !a.ok ? a.code : null
}

/** Probes still waiting (tests). */
export function waitingProbes(): string[] {
  return [...pending.keys()]
}
