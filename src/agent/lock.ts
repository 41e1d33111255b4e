// One agent per state dir: the daemon and offline commands (prepare, flush without daemon) exclude each other.
import { openSync, readFileSync, unlinkSync, writeSync, closeSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Takes the state lock or says which live process holds it; a dead holder's lock is taken over. */
export function acquireLock(stateDir: string): () => void {
  mkdirSync(stateDir, { recursive: true })
  const file = join(stateDir, 'agent.lock')
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o644)
      writeSync(fd, `${process.pid}\n`)
      closeSync(fd)
      return () => {
        try {
          if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file)
        } catch {
          // already gone
        }
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const pid = Number(readFileSync(file, 'utf8').trim())
      if (pid && pid !== process.pid && alive(pid)) throw new Error(`another agent (pid ${pid}) holds ${file}`)
      try {
        unlinkSync(file)
      } catch {
        // raced with another taker
      }
    }
  }
  throw new Error(`cannot take ${file}`)
}
