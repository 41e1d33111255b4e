// Taking the appliance off the hosts: a final flush, the agent and its units gone, union and gv0 unmounted,
// fstab cleaned. The volume, the bricks' data and the cache stay unless asked for by name.
import { posix } from 'node:path'
import { put, sh } from '../engine/command.ts'
import { change, changes, changesOr, noop, refuse, task, type Task } from '../engine/task.ts'
import { agentReportRescanned, pendingText, surelyNothingPending } from '../facts/agent.ts'
import { fileContent, pathState } from '../facts/files.ts'
import { volumeInfo } from '../facts/gluster.ts'
import { gluster } from '../facts/gluster-cli.ts'
import { mountAt } from '../facts/mounts.ts'
import { unitStates } from '../facts/systemd.ts'
import { DEFAULT_CONFIG_PATH } from '../agent/service/defaults.ts'
import { AGENT_DOC, AGENT_PROGRAM, AGENT_UNIT, PREPARE_UNIT, mountUnitName } from '../agent/service/units.ts'
import { fstabField } from './files.ts'
import { agentConfig } from './writecache.ts'
import { unionLowerRemoved } from './union-lower-mount.ts'

export interface TeardownOptions {
  /** go on with entries that cannot be published now: they stay in the cache on disk */
  force: boolean
  /** stop and delete the volume (bricks keep their data) */
  deleteVolume: boolean
  /** delete the bricks' data and the cache too (needs deleteVolume) */
  deleteData: boolean
}

const agentCommand = '/usr/local/bin/gfs-writecache'
const unitPath = (name: string) => `/etc/systemd/system/${name}`
const unitsOf = (unionMount: string) => [AGENT_UNIT, mountUnitName(unionMount), PREPARE_UNIT]

/** Plain umount (never lazy); when busy the error names who holds it. */
const umount = (path: string) => sh`umount -- ${path} || { fuser -vm ${path} >&2; exit 1; }`

/** Everything cached is published first; what cannot be is refused unless --force keeps it in the cache. */
function finalFlush(o: TeardownOptions): Task {
  return task({
    name: 'final flush',
    tags: ['agent'],
    facts: () => ({ report: agentReportRescanned() }),
    plan: ({ report }) => {
      if (!report) return noop('gfs-writecache is not installed')
      const { entries, bytes } = report.pending
      if (surelyNothingPending(report)) return noop('nothing pending')
      const what = pendingText(entries, bytes)
      const away = report.lower?.problem
      if (away && o.force) return noop(`${what} pending and gv0 cannot take them (${away}); --force: they stay in the cache`)
      if (away) return refuse(`${what} pending and gv0 cannot take them now (${away}); bring gv0 back, or run teardown with --force to keep them in the cache on disk`)
      if (o.force)
        return changes(change(`publish what can be published of ${what}; --force: the rest stays in the cache`, sh`gfs-writecache flush --wait --timeout 60 || true`))
      return changes(
        change(
          `publish ${what}`,
          sh`gfs-writecache flush --wait --timeout 3600 || { echo 'teardown refused: the cache still holds entries that cannot be published now (above); publish or remove them, or run teardown with --force to keep them in the cache on disk' >&2; exit 1; }`,
        ),
      )
    },
  })
}

/** After the flush: nothing pending, or --force; --delete-data never deletes what was not published. */
function nothingPending(o: TeardownOptions): Task {
  return task({
    name: 'nothing left to publish',
    tags: ['agent'],
    facts: () => ({ report: agentReportRescanned() }),
    plan: ({ report }) => {
      if (!report) return noop('gfs-writecache is not installed')
      const { entries, bytes } = report.pending
      if (entries === 0) return noop('nothing pending')
      const what = pendingText(entries, bytes)
      if (o.deleteData) return refuse(`${what} are not published yet and --delete-data would delete them; publish them first (gfs-writecache status names them)`)
      if (!o.force) return refuse(`${what} still pending; run teardown with --force to keep them in the cache on disk`)
      return noop(`--force: ${what} stay in the cache; the site playbook publishes them when it runs again`)
    },
  })
}

/** The agent is stopped and the union unmounted (cached data stays in the upper dir). */
function agentStopped(): Task {
  return task({
    name: 'flush agent stopped, union unmounted',
    tags: ['agent', 'cache'],
    facts: (ctx) => ({ units: unitStates(unitsOf(ctx.host.settings.unionMount)), union: mountAt(ctx.host.settings.unionMount) }),
    plan: ({ units, union }, ctx) => {
      const s = ctx.host.settings
      const active = units.filter((u) => u.loaded && ['active', 'activating', 'reloading'].includes(u.active) && u.name !== mountUnitName(s.unionMount))
      if (union && union.fstype !== 'overlay') return refuse(`${s.unionMount} has ${union.source} (${union.fstype}) mounted; unmount it yourself after checking what it is`)
      return changesOr(
        `${AGENT_UNIT} stopped, ${s.unionMount} not mounted`,
        ...active.map((u) => change(`stop ${u.name}`, sh`systemctl stop ${u.name}`)),
        !!union && change(`unmount ${s.unionMount} (cached data stays in ${s.cacheUpper})`, umount(s.unionMount)),
      )
    },
  })
}

/** With --delete-data only: one last offline publish, then the cache and the agent's records go. */
function cacheDeleted(o: TeardownOptions): Task {
  return task({
    name: 'cache deleted',
    tags: ['cache'],
    when: () => o.deleteData || 'kept (only --delete-data deletes it)',
    facts: (ctx) => {
      const c = agentConfig(ctx.host)
      return { upper: pathState(c.upper), work: pathState(c.work), state: pathState(c.stateDir), program: pathState(AGENT_PROGRAM) }
    },
    plan: ({ upper, work, state, program }, ctx) => {
      const c = agentConfig(ctx.host)
      const present = [upper.exists && c.upper, work.exists && c.work, state.exists && c.stateDir].filter((p): p is string => !!p)
      if (present.length === 0) return noop('no cache on disk')
      // a write between the flush and the unmount is published here, offline, or the deletion is refused
      const publish = program.exists
        ? sh`gfs-writecache prepare && n=$(gfs-writecache status --json | node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>console.log(JSON.parse(s).pending.entries))') && [ "$n" = 0 ] || { echo "the cache still holds unpublished entries; not deleted" >&2; exit 1; }`
        : undefined
      return changes(change(`delete the cache ${present.join(', ')}`, ...(publish ? [publish] : []), sh`rm -rf -- ${present}`))
    },
  })
}

/** Units disabled and removed, the program, its command and config gone, the union's mount point removed. */
function agentRemoved(): Task {
  return task({
    name: 'flush agent removed',
    tags: ['agent'],
    facts: (ctx) => {
      const s = ctx.host.settings
      return {
        units: unitStates(unitsOf(s.unionMount)),
        files: fileContent(unitPath(AGENT_UNIT)),
        program: pathState(AGENT_PROGRAM),
        link: pathState(agentCommand),
        config: pathState(DEFAULT_CONFIG_PATH),
        doc: pathState(AGENT_DOC),
        unitFiles: pathState(unitPath(mountUnitName(s.unionMount))),
        prepareFile: pathState(unitPath(PREPARE_UNIT)),
        mountPoint: pathState(s.unionMount),
        union: mountAt(s.unionMount),
      }
    },
    plan: ({ units, files, program, link, config, doc, unitFiles, prepareFile, mountPoint, union }, ctx) => {
      const s = ctx.host.settings
      const enabled = units.filter((u) => u.enabled === 'enabled')
      const unitFilesPresent = [files.exists && AGENT_UNIT, unitFiles.exists && mountUnitName(s.unionMount), prepareFile.exists && PREPARE_UNIT]
        .filter((n): n is string => !!n)
        .map(unitPath)
      const leftovers = [program.exists && posix.dirname(AGENT_PROGRAM), link.exists && agentCommand, config.exists && posix.dirname(DEFAULT_CONFIG_PATH), doc.exists && posix.dirname(AGENT_DOC)].filter(
        (p): p is string => !!p,
      )
      return changesOr(
        'agent, units and config not installed',
        enabled.length > 0 && change(`disable ${enabled.map((u) => u.name).join(' ')}`, sh`systemctl disable -- ${enabled.map((u) => u.name)}`),
        unitFilesPresent.length > 0 && change(`remove ${unitFilesPresent.join(' ')}`, sh`rm -f -- ${unitFilesPresent}`, sh`systemctl daemon-reload`),
        leftovers.length > 0 && change(`remove ${leftovers.join(' ')}`, sh`rm -rf -- ${leftovers}`),
        !union && mountPoint.exists && mountPoint.type === 'directory' && change(`remove the mount point ${s.unionMount}`, sh`chattr -i -- ${s.unionMount} && rmdir -- ${s.unionMount}`),
      )
    },
  })
}

/** gv0 unmounted on this host. */
function gv0Unmounted(): Task {
  return task({
    name: 'gv0 unmounted',
    tags: ['mounts'],
    facts: (ctx) => ({ gv0: mountAt(ctx.host.settings.gv0Mount) }),
    plan: ({ gv0 }, ctx) => {
      const p = ctx.host.settings.gv0Mount
      if (!gv0) return noop(`${p} not mounted`)
      if (gv0.fstype !== 'fuse.glusterfs') return refuse(`${p} has ${gv0.source} (${gv0.fstype}) mounted, not gv0; unmount it yourself after checking what it is`)
      return changes(change(`unmount ${p}`, umount(p)))
    },
  })
}

/** The fstab text without the line(s) for `mountPoint`; other lines untouched. */
export function withoutFstabLine(fstab: string, mountPoint: string): string {
  const target = fstabField(mountPoint)
  const kept = fstab.split('\n').filter((l) => l.trim().startsWith('#') || l.trim().split(/\s+/)[1] !== target)
  return kept.join('\n')
}

/** gv0's fstab line removed, so it is not mounted at the next boot. */
function gv0FstabRemoved(): Task {
  return task({
    name: 'gv0 not in /etc/fstab',
    tags: ['mounts'],
    facts: () => ({ fstab: fileContent('/etc/fstab') }),
    plan: ({ fstab }, ctx) => {
      const p = ctx.host.settings.gv0Mount
      const wanted = withoutFstabLine(fstab.content, p)
      if (!fstab.exists || wanted === fstab.content) return noop(`no line for ${p} in /etc/fstab`)
      return changes({
        summary: `remove ${p} from /etc/fstab`,
        commands: [put('/etc/fstab', wanted, { mode: 0o644 }), sh`systemctl daemon-reload`],
        diff: { path: '/etc/fstab', before: fstab.content, after: wanted },
      })
    },
  })
}

/** With --delete-volume only: the volume is stopped and deleted, once, after every host unmounted it. */
function volumeDeleted(o: TeardownOptions): Task {
  return task({
    name: 'volume deleted',
    tags: ['gluster'],
    runOnce: true,
    when: () => o.deleteVolume || 'kept (only --delete-volume deletes it)',
    facts: (ctx) => ({ volume: volumeInfo(ctx.host.settings.volume) }),
    plan: ({ volume }, ctx) => {
      const name = ctx.host.settings.volume
      if (!volume) return noop(`volume ${name} does not exist`)
      return changes(
        volume.started && change(`stop volume ${name}`, gluster`volume stop ${name}`),
        change(`delete volume ${name} (brick data stays)`, gluster`volume delete ${name}`),
      )
    },
  })
}

/** With --delete-data only: the brick directory goes (after the volume is deleted). */
function brickDeleted(o: TeardownOptions): Task {
  return task({
    name: 'brick data deleted',
    tags: ['gluster'],
    when: () => o.deleteData || 'kept (only --delete-data deletes it)',
    facts: (ctx) => ({ brick: pathState(ctx.host.settings.brick), volume: volumeInfo(ctx.host.settings.volume) }),
    plan: ({ brick, volume }, ctx) => {
      const s = ctx.host.settings
      if (volume) return refuse(`volume ${s.volume} still exists; its bricks are deleted only after it (--delete-volume)`)
      if (!brick.exists) return noop(`${s.brick} does not exist`)
      return changes(change(`delete ${s.brick}`, sh`rm -rf -- ${s.brick}`))
    },
  })
}

/** The teardown's tasks in order; flags that would delete data are checked by the caller. */
export function teardownTasks(o: TeardownOptions): Task[] {
  return [finalFlush(o), nothingPending(o), agentStopped(), cacheDeleted(o), agentRemoved(), unionLowerRemoved(), gv0Unmounted(), gv0FstabRemoved(), volumeDeleted(o), brickDeleted(o)]
}
