// One agent per state dir: the daemon and offline commands (prepare, flush without daemon) exclude each other.
// The lock lives on the cache disk and survives reboots, so a holder is identified by pid, boot id and
// process start time: after a reboot (or pid reuse) a stale lock is taken over, never obeyed.
import { openSync, readFileSync, unlinkSync, writeSync, closeSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'

/** Thrown when a live agent holds the lock; callers may wait for that agent's socket instead. */
export class LockHeldError extends Error {
  override name = 'LockHeldError'
  constructor(readonly pid: number, file: string) {
    super(`another agent (pid ${pid}) holds ${file}`)
  }
}

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()
  } catch {
    return 'unknown-boot'
  }
}

function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}

/** The identity written into the lock file: pid, boot id, start time. */
function identity(pid: number): string {
  return `${pid} ${bootId()} ${startTime(pid) ?? '?'}`
}

function holderAlive(content: string): number | undefined {
  const [pidText, boot, start] = content.trim().split(/\s+/)
  const pid = Number(pidText)
  if (!pid || pid === process.pid) return undefined
  if (boot !== bootId()) return undefined
  const now = startTime(pid)
  return now !== undefined && now === start ? pid : undefined
}

/** Takes the state lock or says which live process holds it; a dead or pre-reboot holder's lock is taken over. */
export function acquireLock(stateDir: string): () => void {
  mkdirSync(stateDir, { recursive: true })
  const file = join(stateDir, 'agent.lock')
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o644)
      writeSync(fd, `${identity(process.pid)}\n`)
      closeSync(fd)
      return () => {
        try {
          if (readFileSync(file, 'utf8').trim() === identity(process.pid)) unlinkSync(file)
        } catch {
          // already gone
        }
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      let content = ''
      try {
        content = readFileSync(file, 'utf8')
      } catch {
        continue
      }
      const pid = holderAlive(content)
      if (pid) throw new LockHeldError(pid, file)
      try {
        unlinkSync(file)
      } catch {
        // raced with another taker
      }
    }
  }
  throw new Error(`cannot take ${file}`)
}
