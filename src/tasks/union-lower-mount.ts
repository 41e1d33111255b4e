// The union's own gv0 client (docs/cut-link.md): read-only, with replicate's quorum off for this client
// only, so overlayfs's lookups of new names keep answering from the brick(s) this host still reaches while
// it is cut off. Nothing writes through it (overlayfs never writes to lower; `ro` enforces it): the agent
// publishes through gv0_mount and the drain mounts, with the volume's quorum.
import { posix } from 'node:path'
import { fromShell, put, sh } from '../engine/command.ts'
import { raw } from '../engine/quote.ts'
import { ANSWER_SECONDS, killClientScript, probeMountsScript, unanswered } from '../facts/fuse-answer.ts'
import { change, changes, changesOr, fact, noop, refuse, task, type Task, type TaskContext } from '../engine/task.ts'
import { commandFailed } from '../facts/answer.ts'
import { fileContent } from '../facts/files.ts'
import { mountAttempts } from '../facts/mount-attempt.ts'
import { mountAt } from '../facts/mounts.ts'
import { unitState } from '../facts/systemd.ts'
import { layoutDefaults } from '../agent/service/defaults.ts'
import { AGENT_UNIT, mountUnitName, type UnitFile } from '../agent/service/units.ts'
import { gv0ClientOptions, gv0FstabEntry } from './gv0-mount.ts'
import { gv0MountWait, lastTry } from './gv0-mounted.ts'

const unitDir = '/etc/systemd/system'
const where = () => layoutDefaults.unionLowerMount

/**
 * The client's mount unit: gv0's source and options, read-only, quorum off in every replica set of the
 * volume. No [Install]: the union's mount unit requires it.
 */
export function unionLowerMountUnit(ctx: TaskContext): UnitFile {
  const gv0 = gv0FstabEntry(ctx)
  const options = gv0ClientOptions(ctx)
  const noQuorum = `xlator-option=${ctx.host.settings.volume}-replicate-*.quorum-type=none`
  return {
    name: mountUnitName(where()),
    content: `[Unit]
Description=gfs-writecache union lower: gv0 read-only without quorum, so the union takes new names while cut off
Requires=glusterd.service
After=glusterd.service

[Mount]
What=${gv0.source}
Where=${where()}
Type=glusterfs
Options=ro,${[...options, noQuorum].join(',')}
`,
  }
}

/**
 * What is mounted at the client's mount point, and whether its gluster client answers: a dead one fails
 * (ENOTCONN), a hung one answers nothing (fuse-answer.ts).
 */
const clientAt = (path: string) =>
  fact(`union lower client ${path}`, sh`findmnt --raw --noheadings -o FSTYPE,SOURCE --mountpoint ${path} || true; if findmnt --mountpoint ${path} >/dev/null; then printf '%s\\n' ${path} | { ${raw(probeMountsScript.script)}; }; fi`, (r) => {
    if (r.exitCode !== 0) throw commandFailed(r)
    const lines = r.stdout.split('\n').filter(Boolean)
    if (!lines.length) return null
    const [fstype, source = ''] = lines[0].split(' ')
    const { dead, hung } = unanswered(r.stderr)
    return { fstype, source, dead: dead.has(path) || hung.has(path), hung: hung.has(path) }
  })

/**
 * The client mounted and answering. A dead one (its glusterfs process gone) is under the union: the
 * union goes down for it (refused while something holds it) and comes up again in the next task.
 */
export function unionLowerMounted(): Task {
  return task({
    name: 'union lower client mounted',
    tags: ['mounts', 'cache'],
    facts: (ctx) => ({
      mount: clientAt(where()),
      unit: fileContent(posix.join(unitDir, mountUnitName(where()))),
      union: mountAt(ctx.host.settings.unionMount),
      agent: unitState(AGENT_UNIT),
      tries: mountAttempts([where()]),
    }),
    wait: gv0MountWait,
    plan: ({ mount, unit, union, agent, tries }, ctx) => {
      const path = where()
      const file = unionLowerMountUnit(ctx)
      const name = file.name
      const unionPath = ctx.host.settings.unionMount
      const unionUnit = mountUnitName(unionPath)
      if (mount && mount.fstype !== 'fuse.glusterfs') return refuse(`${path} has ${mount.source} (${mount.fstype}) mounted instead of gv0; unmount it yourself (umount ${path}), then run again`)
      const stale = !unit.exists || unit.content !== file.content
      const write = stale && change(`${unit.exists ? 'update' : 'create'} ${posix.join(unitDir, name)}`, put(posix.join(unitDir, name), file.content), sh`systemctl daemon-reload`)
      if (!mount) return changes(write, change(`mount ${path}${lastTry(tries[path])}`, sh`systemctl start ${name} || true`))
      const again = mount.hung ? `its gluster client hangs: no answer in ${ANSWER_SECONDS} s` : mount.dead ? 'its gluster client does not answer' : stale && unit.exists ? 'its unit changed' : null
      if (!again) return changesOr(`${path} mounted read-only, quorum off`, write)
      const onTop = union?.fstype === 'overlay' && union.options.includes(`lowerdir=${path}`)
      return changes(
        write,
        // a hung client is killed first: what waits on it (in the union too) then fails with ENOTCONN and lets go
        mount.hung && change(`kill the gluster client of ${path}: it answers nothing`, fromShell(killClientScript(path))),
        // the union sits on it and must let go first; a union in use is refused here, nothing changed
        onTop && agent.active === 'active' && change(`stop ${AGENT_UNIT} to take the union down`, sh`systemctl stop ${AGENT_UNIT}`),
        onTop &&
          change(
            `unmount ${unionPath} (cached data stays in ${ctx.host.settings.cacheUpper})`,
            sh`umount -- ${unionPath} || { fuser -vm ${unionPath} >&2; echo "${unionPath} is in use: stop what holds it (above), then run again" >&2; exit 1; }`,
            sh`systemctl stop ${unionUnit} || true`,
          ),
        change(`mount ${path} again (${again})`, sh`systemctl stop ${name}; umount -- ${path} 2>/dev/null; systemctl start ${name}`),
      )
    },
  })
}

/** Teardown: the client unmounted and its unit gone (the union is down by then). */
export function unionLowerRemoved(): Task {
  return task({
    name: 'union lower client removed',
    tags: ['mounts', 'cache'],
    facts: () => ({ mount: clientAt(where()), unit: fileContent(posix.join(unitDir, mountUnitName(where()))) }),
    plan: ({ mount, unit }) => {
      const path = where()
      const name = mountUnitName(path)
      if (!mount && !unit.exists) return noop(`${path} not mounted, no unit`)
      if (mount && mount.fstype !== 'fuse.glusterfs') return refuse(`${path} has ${mount.source} (${mount.fstype}) mounted, not gv0; unmount it yourself after checking what it is`)
      return changesOr(
        'nothing to remove',
        !!mount && change(`unmount ${path}`, sh`systemctl stop ${name}; if findmnt --mountpoint ${path} >/dev/null; then umount -- ${path}; fi`),
        unit.exists && change(`remove ${posix.join(unitDir, name)}`, sh`rm -f -- ${posix.join(unitDir, name)}`, sh`systemctl daemon-reload`),
      )
    },
  })
}
