// Process liveness and stopping by pid: the lab only ever signals processes it started.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { sleep } from './proc.ts'

/** Whether a pid belongs to a live (non-zombie) process. */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    return !/^\d+ \(.*\) Z/s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

/** The pid a pid file names, when that process is alive. */
export function livePidIn(file: string): number | undefined {
  if (!existsSync(file)) return undefined
  const pid = Number(readFileSync(file, 'utf8'))
  return pidAlive(pid) ? pid : undefined
}

/** Pids of the processes whose argv matches, read from /proc (processes that vanish meanwhile are skipped). */
export function pidsWhere(match: (argv: string[]) => boolean): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (match(readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0'))) pids.push(Number(entry))
    } catch {}
  }
  return pids
}

/** Sends SIGTERM, waits up to graceMs, then SIGKILL; resolves once the process is gone. */
export async function stopPid(pid: number, graceMs: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM')
  } catch {
    return
  }
  const deadline = Date.now() + graceMs
  while (pidAlive(pid) && Date.now() < deadline) await sleep(100)
  if (pidAlive(pid)) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {}
    for (let i = 0; i < 50 && pidAlive(pid); i++) await sleep(100)
  }
}
