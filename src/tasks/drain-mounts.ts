// The flush agent's own gv0 client mounts (docs/drain.md): a systemd mount unit each, pulled in by the
// agent's unit (Wants=), mounted, answering, and none left over when their number goes down.
import { createHash } from 'node:crypto'
import { posix } from 'node:path'
import { fromShell, put, sh } from '../engine/command.ts'
import { raw } from '../engine/quote.ts'
import { ANSWER_SECONDS, killClientScript, probeMountsScript, unanswered } from '../facts/fuse-answer.ts'
import { change, changesOr, fact, refuse, task, type Change, type Task, type TaskContext } from '../engine/task.ts'
import { commandFailed } from '../facts/answer.ts'
import { parseFindmnt, type Mount } from '../facts/mounts.ts'
import { agentDefaults } from '../agent/service/defaults.ts'
import { drainMountPaths } from '../agent/fs/drain-mounts.ts'
import { AGENT_UNIT, escapePath, mountUnitName, type UnitFile } from '../agent/service/units.ts'
import { unitState } from '../facts/systemd.ts'
import { startUnit } from './unit-start.ts'
import { gv0ClientOptions, gv0FstabEntry } from './gv0-mount.ts'
import { gv0MountWait, lastTry } from './gv0-mounted.ts'
import { mountAttempts } from '../facts/mount-attempt.ts'

const unitDir = '/etc/systemd/system'

function wantedPaths(ctx: TaskContext): string[] {
  return drainMountPaths({ drainMounts: ctx.host.settings.flush.drainMounts, drainMountDir: agentDefaults.drainMountDir })
}

/** The unit of each drain mount: the same source and options as gv0's fstab line. */
export function drainMountUnits(ctx: TaskContext): UnitFile[] {
  const gv0 = gv0FstabEntry(ctx)
  const options = gv0ClientOptions(ctx).join(',')
  return wantedPaths(ctx).map((where, i) => ({
    name: mountUnitName(where),
    content: `[Unit]
Description=gfs-writecache drain mount ${i + 1}: gv0 for the flush agent only
Requires=glusterd.service
After=glusterd.service

[Mount]
What=${gv0.source}
Where=${where}
Type=glusterfs
Options=${options}
`,
  }))
}

/** Unit files of drain mounts in /etc/systemd/system, also those no longer wanted: name -> sha256 (one command for all). */
const drainUnitFiles = (dir: string) => {
  const prefix = `${escapePath(dir)}-`
  return fact(`drain mount units`, sh`cd ${unitDir} && for f in ${prefix}*.mount; do if [ -f "$f" ]; then sha256sum -- "$f"; fi; done`, (r) => {
    if (r.exitCode !== 0) throw commandFailed(r)
    const out: Record<string, string> = {}
    for (const line of r.stdout.split('\n')) {
      // GNU sha256sum marks a name holding a backslash with a leading "\\" and doubles its backslashes
      const m = /^(\\?)([0-9a-f]{64}) {2}(.+)$/.exec(line)
      if (m) out[m[1] ? m[3].replace(/\\([\\n])/g, (_, c: string) => (c === 'n' ? '\n' : '\\')) : m[3]] = m[2]
    }
    return out
  })
}

export const unitDigest = (content: string) => createHash('sha256').update(content).digest('hex')

/**
 * What is mounted at or below `dir`, and whether each gluster client there answers: a dead one fails
 * (ENOTCONN), a hung one answers nothing (fuse-answer.ts).
 */
const mountsBelow = (dir: string) =>
  fact(
    `mounts below ${dir}`,
    // mountpoint(1) fails on a dead FUSE mount (stat answers ENOTCONN): the mount table names them instead
    sh`findmnt --json --list -o TARGET,SOURCE,FSTYPE,OPTIONS; findmnt --raw --noheadings -o TARGET | grep -F -- ${dir + '/'} | { ${raw(probeMountsScript.script)}; }; true`,
    (r) => {
      const { dead, hung } = unanswered(r.stderr)
      const mounts = parseFindmnt({ ...r, stderr: '' }).filter((m) => m.target.startsWith(dir + '/'))
      return mounts.map((m) => ({ ...m, dead: dead.has(m.target) || hung.has(m.target), hung: hung.has(m.target) }))
    },
  )

export type DrainMountFact = Mount & { dead: boolean; hung: boolean }

/** Every wanted drain mount mounted and answering; those beyond the wanted number stopped and their units removed. */
export function drainMountsMounted(): Task {
  return task({
    name: 'drain mounts for the agent',
    tags: ['mounts', 'agent'],
    facts: (ctx) => ({ mounts: mountsBelow(agentDefaults.drainMountDir), units: drainUnitFiles(agentDefaults.drainMountDir), agent: unitState(AGENT_UNIT), tries: mountAttempts(wantedPaths(ctx)) }),
    // a slow host's gluster client may give up on the first try: failed starts are tried again
    wait: gv0MountWait,
    plan: ({ mounts, units, agent, tries }, ctx) => {
      const wanted = wantedPaths(ctx)
      const out: Change[] = []
      // a hung client goes first: an agent waiting on it cannot even stop until it is gone
      const kills: Change[] = []
      const files = drainMountUnits(ctx)
      const stale = files.filter((u) => units[u.name] !== unitDigest(u.content))
      const restart = new Set(stale.filter((u) => units[u.name] !== undefined).map((u) => u.name))
      if (stale.length) {
        out.push(change(`write ${stale.length} unit(s) of drain mounts`, ...stale.map((u) => put(posix.join(unitDir, u.name), u.content)), sh`systemctl daemon-reload`))
      }
      for (const path of wanted) {
        const m = mounts.find((x) => x.target === path)
        const unit = mountUnitName(path)
        if (m && m.fstype !== 'fuse.glusterfs')
          return refuse(`${path} has ${m.source} (${m.fstype}) mounted instead of gv0; unmount it yourself (umount ${path}), then run again`)
        if (!m) out.push(change(`mount ${path}${lastTry(tries[path])}`, sh`systemctl start ${unit} || true`))
        else if (restart.has(unit)) out.push(change(`mount ${path} again (its unit changed)`, sh`systemctl restart ${unit}`))
        else if (m.hung) {
          kills.push(change(`kill the gluster client of ${path}: it answers nothing`, fromShell(killClientScript(path))))
          out.push(change(`mount ${path} again (its gluster client hangs: no answer in ${ANSWER_SECONDS} s)`, sh`systemctl stop ${unit}; umount -- ${path} 2>/dev/null; systemctl start ${unit}`))
        }
        else if (m.dead) out.push(change(`mount ${path} again (its gluster client does not answer)`, sh`systemctl stop ${unit}; umount -- ${path} 2>/dev/null; systemctl start ${unit}`))
      }
      const keep = new Set(wanted)
      const extra = mounts.filter((m) => !keep.has(m.target) && posix.dirname(m.target) === agentDefaults.drainMountDir)
      for (const m of extra) out.push(change(`unmount ${m.target} (no longer wanted)`, sh`systemctl stop ${mountUnitName(m.target)}; if findmnt --mountpoint ${m.target} >/dev/null; then umount -- ${m.target}; fi`))
      const keepUnits = new Set(wanted.map(mountUnitName))
      const staleUnits = Object.keys(units).filter((u) => !keepUnits.has(u))
      if (staleUnits.length) {
        out.push(change(`remove ${staleUnits.length} unit(s) of drain mounts no longer wanted`, ...staleUnits.map((u) => sh`rm -f -- ${posix.join(unitDir, u)}`), sh`systemctl daemon-reload`))
      }
      // a mount in use cannot be unmounted: the agent lets go of them first, and runs again after
      if (agent.active === 'active' && out.some((c) => c.summary.includes(' again ') || c.summary.startsWith('unmount '))) {
        out.unshift(change(`stop ${AGENT_UNIT} to let go of its drain mounts`, sh`systemctl stop ${AGENT_UNIT}`))
        out.push(change(`start ${AGENT_UNIT} again`, startUnit(AGENT_UNIT)))
      }
      out.unshift(...kills)
      return changesOr(wanted.length ? `${wanted.length} drain mount(s) of gv0 answering` : 'no drain mounts wanted', ...out)
    },
  })
}
