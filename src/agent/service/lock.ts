// One agent per state dir: the daemon and offline commands (prepare, flush without daemon) exclude each other.
// The lock lives on the cache disk and survives reboots, so a holder is identified by pid, boot id and
// process start time: after a reboot (or pid reuse) a stale lock is taken over, never obeyed.
import { randomBytes } from 'node:crypto'
import { closeSync, fstatSync, linkSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Log } from './log.ts'

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

/**
 * Takes the state lock or says which live process holds it; a dead or pre-reboot holder's lock is taken over.
 * The lock appears only fully written (a temp file with our identity, link()ed into place, which fails
 * rather than replaces), so no taker ever reads a half-made lock as stale. A stale lock is moved aside
 * and removed only when it is still the very inode judged stale: two takers of one stale lock cannot
 * both remove it and both win.
 */
export function acquireLock(stateDir: string): () => void {
  mkdirSync(stateDir, { recursive: true })
  const file = join(stateDir, 'agent.lock')
  const me = identity(process.pid)
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}`
  writeFileSync(tmp, `${me}\n`, { mode: 0o644 })
  try {
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        linkSync(tmp, file)
        return () => {
          try {
            if (readFileSync(file, 'utf8').trim() === me) unlinkSync(file)
          } catch {
            // already gone
          }
        }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      }
      let seen: { ino: number; content: string }
      try {
        const fd = openSync(file, 'r')
        try {
          seen = { ino: fstatSync(fd).ino, content: readFileSync(fd, 'utf8') }
        } finally {
          closeSync(fd)
        }
      } catch {
        continue // released meanwhile
      }
      const pid = holderAlive(seen.content)
      if (pid) throw new LockHeldError(pid, file)
      takeOverStale(file, seen.ino)
    }
  } finally {
    try {
      unlinkSync(tmp)
    } catch {
      // nothing to clean
    }
  }
  throw new Error(`cannot take ${file}`)
}

/** Removes the lock file if it is still inode `ino`; a lock someone else took meanwhile is put back. */
function takeOverStale(file: string, ino: number): void {
  const aside = `${file}.stale.${process.pid}.${randomBytes(6).toString('hex')}`
  try {
    renameSync(file, aside)
  } catch {
    return // gone already: the next link decides
  }
  if (lstatSync(aside).ino !== ino) {
    // a live taker's fresh lock: put it back (link never replaces, so a third taker cannot be overwritten)
    try {
      linkSync(aside, file)
    } catch {
      // a third taker linked its own in this instant; the one moved aside has lost the lock
    }
  }
  unlinkSync(aside)
}

/**
 * Takes the lock, waiting while another live process holds it (an offline `flush --wait` or `prepare`):
 * a daemon that exited instead would be restarted by systemd over and over until that run ends.
 */
export async function waitForLock(stateDir: string, log: Log, pollMs = 500): Promise<() => void> {
  let told = false
  for (;;) {
    try {
      return acquireLock(stateDir)
    } catch (err) {
      if (!(err instanceof LockHeldError)) throw err
      if (!told) log(`${err.message}: waiting for it to finish`, 'notice')
      told = true
      await new Promise((r) => setTimeout(r, pollMs))
    }
  }
}
