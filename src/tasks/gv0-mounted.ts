// gv0's FUSE mount, waiting for the volume instead of failing on the first try: right after the bricks
// were started, or while the other host is still booting, gluster's client gives up on bricks that are
// only coming up and `mount` fails; a moment later the same mount works.
import { sh } from '../engine/command.ts'
import { change, changes, noop, refuse, task, type Task } from '../engine/task.ts'
import { brickName, type BrickStatus } from '../facts/gluster.ts'
import { mountAttempt, volumeStatusUnlessMounted, type MountAttempt } from '../facts/mount-attempt.ts'
import { mountAt } from '../facts/mounts.ts'
import { mountUnitName } from '../agent/service/units.ts'
import { wantedBricks } from './gluster.ts'

/** Tries and pause between them: about five minutes for a peer that is still booting (slow VMs). */
export const gv0MountWait = { attempts: 60, delayMs: 5000 }

const onlineBricks = (bricks: BrickStatus[] | undefined) => (bricks ?? []).filter((b) => b.online).map(brickName)

/** Why the last start failed, for the change's summary; empty when it did not. */
export function lastTry(attempt: MountAttempt | undefined): string {
  if (attempt?.active !== 'failed') return ''
  return ` (the last try failed: ${attempt.result || 'failed'}${attempt.lastError ? `; client log: ${attempt.lastError}` : ''})`
}

/**
 * gv0 is mounted at its mount point through its systemd mount unit. While one of the volume's bricks is
 * not online yet, it waits; a mount that fails is tried again (a failed start does not fail the task),
 * and only when the tries run out does the host fail, with the client's last error.
 */
export function gv0Mounted(): Task {
  return task({
    name: 'gv0 mounted',
    tags: ['mounts'],
    facts: (ctx) => ({
      current: mountAt(ctx.host.settings.gv0Mount),
      bricks: volumeStatusUnlessMounted(ctx.host.settings.volume, ctx.host.settings.gv0Mount),
      attempt: mountAttempt(ctx.host.settings.gv0Mount),
    }),
    wait: {
      ...gv0MountWait,
      progress: ({ bricks, attempt }) => {
        return `gv0 not mounted yet; bricks online: ${onlineBricks(bricks).join(', ') || 'none'}${lastTry(attempt)}`
      },
    },
    plan: ({ current, bricks, attempt }, ctx) => {
      const path = ctx.host.settings.gv0Mount
      if (current?.fstype === 'fuse.glusterfs') return noop(`${path}: ${current.source} (${current.fstype})`)
      if (current)
        return refuse(
          `${path} has ${current.source} (${current.fstype}) mounted instead of gv0; ` +
            `unmount it yourself (umount ${path}) after checking nothing uses it, then run again`,
        )
      const online = new Set(onlineBricks(bricks))
      const down = wantedBricks(ctx.hosts).filter((b) => !online.has(b))
      if (down.length)
        return changes(change(`wait for brick(s) ${down.join(', ')} to come online before mounting ${path} (is that host still starting? see \`gluster volume status\`)`))
      const unit = mountUnitName(path)
      // `|| true`: a failed start is read from the unit's state on the next try, not taken as the answer
      return changes(change(`mount ${path}${lastTry(attempt)}`, sh`systemctl start ${unit} || true`))
    },
  })
}
