// One lab command at a time: up, down, reboot, shape and link take this lock.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { labRoot } from './paths.ts'
import { pidAlive } from './pids.ts'
import { LabError } from './errors.ts'

const lockDir = join(labRoot, 'lock')

/** Runs fn holding the lab lock; a lock left by a dead process is taken over. */
export async function withLock<T>(what: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(labRoot, { recursive: true })
  try {
    mkdirSync(lockDir)
  } catch {
    let holder = ''
    try {
      holder = readFileSync(join(lockDir, 'owner'), 'utf8')
    } catch {}
    const pid = Number(holder.split(' ')[0])
    if (pidAlive(pid) && pid !== process.pid) {
      throw new LabError(`the lab is busy: \`lab ${holder.split(' ').slice(1).join(' ')}\` (pid ${pid}) is running`, 'wait for it to finish, then retry')
    }
    rmSync(lockDir, { recursive: true, force: true })
    mkdirSync(lockDir)
  }
  writeFileSync(join(lockDir, 'owner'), `${process.pid} ${what}`)
  try {
    return await fn()
  } finally {
    rmSync(lockDir, { recursive: true, force: true })
  }
}
