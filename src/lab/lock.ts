// One lab command at a time per instance: up, down, reboot, shape and link take this lock.
// The same mechanism guards shared builds (the root file system cache) between instances.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { labRoot } from './paths.ts'
import { pidAlive } from './pids.ts'
import { sleep } from './proc.ts'
import { LabError } from './errors.ts'

const lockDir = join(labRoot, 'lock')

/** Takes a lock directory, or returns its live holder ("pid what"); a lock left by a dead process is taken over. */
function tryLock(dir: string, what: string): string | undefined {
  mkdirSync(dirname(dir), { recursive: true })
  try {
    mkdirSync(dir)
  } catch {
    let holder = ''
    try {
      holder = readFileSync(join(dir, 'owner'), 'utf8')
    } catch {}
    const pid = Number(holder.split(' ')[0])
    if (pidAlive(pid) && pid !== process.pid) return holder
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(dir)
  }
  writeFileSync(join(dir, 'owner'), `${process.pid} ${what}`)
  return undefined
}

/** Runs fn holding the lab lock; fails at once when another command holds it. */
export async function withLock<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const holder = tryLock(lockDir, what)
  if (holder !== undefined) {
    const pid = Number(holder.split(' ')[0])
    throw new LabError(`the lab is busy: \`lab ${holder.split(' ').slice(1).join(' ')}\` (pid ${pid}) is running`, 'wait for it to finish, then retry')
  }
  try {
    return await fn()
  } finally {
    rmSync(lockDir, { recursive: true, force: true })
  }
}

/** Runs fn holding a lock directory shared between instances, waiting (up to timeoutMs) while another process holds it. */
export async function withSharedLock<T>(dir: string, what: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let holder = tryLock(dir, what)
  while (holder !== undefined) {
    if (Date.now() > deadline) throw new LabError(`${dir} is still held by ${holder} after ${timeoutMs / 1000} s`)
    await sleep(500)
    holder = tryLock(dir, what)
  }
  try {
    return await fn()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
