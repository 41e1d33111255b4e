// One agent per state dir: the daemon and offline commands (prepare, flush without daemon) exclude each other.
// The lock lives on the cache disk and survives reboots, so a holder is identified by pid, boot id and
// process start time: after a reboot (or pid reuse) a stale lock is taken over, never obeyed.
import { randomBytes } from 'node:crypto'
import { closeSync, fstatSync, linkSync, lstatSync, mkdirSync, openSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
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
 * rather than replaces), so no taker ever reads a half-made lock as stale. A stale lock is removed only
 * by the one taker holding the takeover guard, and only while it is still the very lock judged stale
 * (same inode, same holder): two takers of one stale lock cannot both remove it and both win, and no
 * taker ever removes, or moves aside for an instant, a lock another taker has just won.
 */
export function acquireLock(stateDir: string): () => void {
  mkdirSync(stateDir, { recursive: true })
  const file = join(stateDir, 'agent.lock')
  const me = identity(process.pid)
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}`
  writeFileSync(tmp, `${me}\n`, { mode: 0o644 })
  try {
    for (let attempt = 0; attempt < 2000; attempt++) {
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
      const seen = readEntry(file)
      if (!seen) continue // released meanwhile
      const pid = holderAlive(seen.content)
      if (pid) throw new LockHeldError(pid, file)
      if (!removeStale(file, seen, tmp)) pause(1) // another taker is removing it
    }
  } finally {
    unlinkQuietly(tmp)
  }
  throw new Error(`cannot take ${file}`)
}

interface Entry {
  ino: number
  content: string
}

function readEntry(path: string): Entry | null {
  try {
    const fd = openSync(path, 'r')
    try {
      return { ino: fstatSync(fd).ino, content: readFileSync(fd, 'utf8') }
    } finally {
      closeSync(fd)
    }
  } catch {
    return null
  }
}

const sameEntry = (a: Entry | null, b: Entry) => a !== null && a.ino === b.ino && a.content === b.content

/** A guard older than this whose taker is dead was left by a kill inside removeStale's few system calls. */
const STALE_GUARD_MS = 5000

/**
 * Removes the stale lock `seen` under the takeover guard (our `tmp`, linked in as the guard); false when
 * another taker holds the guard.
 */
function removeStale(file: string, seen: Entry, tmp: string): boolean {
  const guard = `${file}.takeover`
  try {
    linkSync(tmp, guard)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    const other = readEntry(guard)
    if (other && !holderAlive(other.content) && ageMs(guard) > STALE_GUARD_MS && sameEntry(readEntry(guard), other)) unlinkQuietly(guard)
    return false
  }
  try {
    if (sameEntry(readEntry(file), seen)) unlinkSync(file)
  } finally {
    unlinkQuietly(guard)
  }
  return true
}

function ageMs(path: string): number {
  try {
    return Date.now() - lstatSync(path).mtimeMs
  } catch {
    return 0
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path)
  } catch {
    // gone already
  }
}

/** A short synchronous pause: the lock is taken before the event loop has anything else to do. */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
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
