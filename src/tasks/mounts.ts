// Mounts that are active now and come back after a reboot: gv0 over FUSE, the union over overlayfs.
import { sh } from '../engine/command.ts'
import { change, changes, noop, refuse, task, type Task, type TaskContext } from '../engine/task.ts'
import { dirWithAttrs } from '../facts/files.ts'
import { mountAt } from '../facts/mounts.ts'
import { mountUnitName } from '../agent/units.ts'

export { mountUnitName }

/** A file system is mounted at a path with the given type, started through its systemd mount unit. */
export function mounted(
  name: string,
  spec: (ctx: TaskContext) => { path: string; fstype: string; source?: string },
  options: { tags?: string[] } = {},
): Task {
  return task({
    name,
    tags: options.tags,
    facts: (ctx) => ({ current: mountAt(spec(ctx).path) }),
    wait: { attempts: 10, delayMs: 1000 },
    plan: ({ current }, ctx) => {
      const { path, fstype, source } = spec(ctx)
      if (current && current.fstype === fstype && (!source || current.source === source))
        return noop(`${path}: ${current.source} (${current.fstype})`)
      if (current)
        return refuse(
          `${path} has ${current.source} (${current.fstype}) mounted instead of ${source ?? fstype}; ` +
            `unmount it yourself (umount ${path}) after checking nothing uses it, then run again`,
        )
      return changes(change(`mount ${path}`, sh`systemctl start ${mountUnitName(path)}`))
    },
  })
}

/** The union's mount point is immutable while nothing is mounted on it, so writes fail instead of vanishing. */
export function immutableMountPoint(name: string, path: (ctx: TaskContext) => string, options: { tags?: string[] } = {}): Task {
  return task({
    name,
    tags: options.tags,
    facts: (ctx) => ({ current: mountAt(path(ctx)), dir: dirWithAttrs(path(ctx)) }),
    plan: ({ current, dir }, ctx) => {
      const p = path(ctx)
      if (current) return noop(`${p} is mounted (${current.fstype})`)
      if (dir.exists && dir.type !== 'directory') return refuse(`${p} exists and is not a directory`)
      if (dir.exists && dir.immutable) return noop(`${p} exists, immutable`)
      return changes(change(`make ${p} an immutable mount point`, sh`mkdir -p -- ${p} && chattr +i -- ${p}`))
    },
  })
}
