// The data disk and the brick: checked before anything is installed, so bad states touch nothing.
import { sh } from '../engine/command.ts'
import { changes, noop, refuse, task, type Task } from '../engine/task.ts'
import { pathState } from '../facts/files.ts'
import { mountAt, mountOf } from '../facts/mounts.ts'

/** Refuse to go on when the data disk is missing or the brick would land on the root file system. */
export function storagePreflight(): Task {
  return task({
    name: 'data disk and brick location',
    tags: ['always'],
    facts: (ctx) => ({
      disk: mountAt(ctx.host.settings.dataDisk),
      brickFs: mountOf(ctx.host.settings.brick),
      cacheFs: mountOf(ctx.host.settings.cacheUpper),
    }),
    plan: ({ disk, brickFs, cacheFs }, ctx) => {
      const s = ctx.host.settings
      if (s.brickForce) return noop('brick_force is set: location checks skipped')
      if (!disk)
        return refuse(
          `the data disk ${s.dataDisk} is not mounted. The brick (${s.brick}) and the write cache (${s.cacheUpper}) ` +
            `must live on it; mount it (and add it to /etc/fstab) and run again, or set data_disk in the inventory.`,
        )
      if (brickFs?.target === '/')
        return refuse(
          `the brick ${s.brick} would be on the root file system: a full brick would then fill the root disk ` +
            `and stop the host. Put it on the data disk, or set brick_force: true for this host to accept that.`,
        )
      if (cacheFs?.target === '/' || cacheFs?.fstype === 'overlay')
        return refuse(
          `the write cache ${s.cacheUpper} would be on ${cacheFs.fstype === 'overlay' ? 'an overlay file system, which overlayfs refuses as upper dir' : 'the root file system'}; put it on the data disk.`,
        )
      return noop(`${s.dataDisk} is ${disk.source} (${disk.fstype}); brick on ${brickFs?.target}`)
    },
  })
}

/** The brick directory exists; a brick that belongs to another volume is reported. */
export function brickDirectory(): Task {
  return task({
    name: 'brick directory',
    tags: ['gluster'],
    when: (ctx) => ctx.host.role === 'storage' || ctx.host.role === 'arbiter',
    facts: (ctx) => ({ state: pathState(ctx.host.settings.brick) }),
    plan: ({ state }, ctx) => {
      const brick = ctx.host.settings.brick
      if (state.exists && state.type !== 'directory') return refuse(`${brick} exists and is not a directory`)
      if (state.exists) return noop(`${brick} exists`)
      return changes({ summary: `create ${brick}`, commands: [sh`mkdir -p -m 0755 -- ${brick}`] })
    },
  })
}
