// The data disk and the brick: checked before anything is installed, so bad states touch nothing.
import { sh } from '../engine/command.ts'
import { dirname } from 'node:path'
import { changes, noop, refuse, task, warn, type Task } from '../engine/task.ts'
import { pathState } from '../facts/files.ts'
import { mountAt, mountOf } from '../facts/mounts.ts'
import { xattrRoom } from '../facts/xattr-room.ts'

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

/**
 * Warns when the brick's file system keeps gluster's xattrs outside the inode (ext4's default 256-byte inodes):
 * every cold lookup on the brick then reads a second block, gluster's and, with union_lower brick, the union's.
 * Never changes anything: a new inode size means a new file system. The probe is an empty file beside the brick,
 * removed at once (facts/xattr-room.ts).
 */
export function brickXattrRoom(): Task {
  return task({
    name: 'brick file system keeps gluster\'s xattrs in the inode',
    tags: ['gluster'],
    when: (ctx) => ctx.host.role === 'storage' || ctx.host.role === 'arbiter',
    facts: (ctx) => ({ room: xattrRoom(dirname(ctx.host.settings.brick)) }),
    plan: ({ room }, ctx) => {
      const s = ctx.host.settings
      if (room === 'inode') return noop('in the inode')
      if (room === 'unknown') return noop('not known (no trusted xattrs or no setfattr there)')
      return warn(
        'in a block of their own',
        `the brick ${s.brick} is on a file system whose inodes are too small for gluster's xattrs: each file's ` +
          `xattrs take a block of their own, and every cold lookup on the brick reads it${s.unionLower === 'brick' ? ' (the union on the brick, union_lower brick, most of all: small files read about 3 times slower cold)' : ''}. ` +
          `gluster asks for 512-byte inodes: make the brick's file system with mkfs.xfs -i size=512 or mkfs.ext4 -I 512 ` +
          `when you next set the disk up (the data must be moved off and back; nothing is changed here).`,
      )
    },
  })
}
