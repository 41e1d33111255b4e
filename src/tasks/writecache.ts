// The write cache's flush agent on each host: program, command, config, systemd units, running.
import { readFileSync } from 'node:fs'
import { posix } from 'node:path'
import { fromShell, put, sh, type ExecCommand } from '../engine/command.ts'
import { change, changes, changesOr, fact, noop, refuse, task, type Handler, type Task, type TaskContext } from '../engine/task.ts'
import { raw, shell } from '../engine/quote.ts'
import { absentMarker, commandFailed, isAbsent } from '../facts/answer.ts'
import { fileContent, fileDigest } from '../facts/files.ts'
import { mountAt, mountUsers } from '../facts/mounts.ts'
import { unitState } from '../facts/systemd.ts'
import { startUnit } from './unit-start.ts'
import type { Host } from '../inventory/types.ts'
import { file } from './files.ts'
import { mountUnitName } from './mounts.ts'
import { service } from './systemd.ts'
import { drainMountsMounted } from './drain-mounts.ts'
import { agentRestart, agentRunning } from './agent-running.ts'
import { unionLowerMounted } from './union-lower-mount.ts'
import { DEFAULT_CONFIG_PATH, layoutDefaults } from '../agent/service/defaults.ts'
import { AGENT_DOC, AGENT_PROGRAM, AGENT_UNIT, agentUnits } from '../agent/service/units.ts'
import { overlayLowerDir } from '../agent/fs/union-lower.ts'

const agentCommand = '/usr/local/bin/gfs-writecache'
/** The units' Documentation= page: the flush contract of this checkout. */
export const contractDoc = readFileSync(new URL('../../docs/flush-contract.md', import.meta.url), 'utf8')
const restart = 'restart flush agent'

export interface AgentBundle {
  code: string
  sha256: string
}

/**
 * How long the agent keeps a gv0 name's lock after changing it (src/agent/fs/name-locks.ts): past every
 * cache of the other host's gluster client, md-cache (`performance.md-cache-timeout`, a second by default)
 * plus the FUSE entry and attribute timeouts (a second each), and a second to spare. Undefined: the default.
 */
export function nameLockHoldSeconds(glusterOptions: Record<string, string>): number | undefined {
  const md = Number(glusterOptions['performance.md-cache-timeout'] ?? 1)
  return Number.isFinite(md) && md > 1 ? md + 2 : undefined
}

/** The agent's config for a host, derived from the inventory's settings. */
export function agentConfig(host: Host) {
  const s = host.settings
  const hold = nameLockHoldSeconds(s.glusterOptions)
  return {
    host: host.name,
    upper: s.cacheUpper,
    work: s.cacheWork,
    lower: s.gv0Mount,
    union: s.unionMount,
    stateDir: posix.join(posix.dirname(s.cacheUpper), 'state'),
    volume: s.volume,
    metricsFile: s.metricsFile,
    health: s.health,
    ...s.flush,
    unionLowerMount: layoutDefaults.unionLowerMount,
    ...(hold ? { nameLockHoldSeconds: hold } : {}),
    // only in brick mode, so configs of the default stay as they were
    ...(s.unionLower === 'brick' ? { unionLower: s.unionLower, brick: s.brick, volume: s.volume } : {}),
  }
}

/** Where the agent command's symlink points ('' when it is not a symlink). */
const commandLink = () =>
  fact('agent command link', sh`if [ -L ${agentCommand} ]; then readlink -- ${agentCommand}; else echo ${absentMarker}; fi`, (r) => {
    if (isAbsent(r)) return ''
    if (r.exitCode !== 0) throw commandFailed(r)
    return r.stdout.trim()
  })

/** The bundled agent program, uploaded only when its digest differs. */
function agentProgramTask(bundle: AgentBundle): Task {
  return task({
    name: 'flush agent program',
    tags: ['agent'],
    notify: [restart],
    facts: () => ({ digest: fileDigest(AGENT_PROGRAM), link: commandLink() }),
    plan: ({ digest, link }) =>
      changesOr(
        `agent ${bundle.sha256.slice(0, 12)} installed`,
        digest !== bundle.sha256 &&
          change(`install ${AGENT_PROGRAM} (sha256 ${bundle.sha256.slice(0, 12)})`, put(AGENT_PROGRAM, bundle.code, { mode: 0o755 })),
        link !== AGENT_PROGRAM && change(`link ${agentCommand}`, sh`ln -sfn ${AGENT_PROGRAM} ${agentCommand}`),
      ),
  })
}

const unitsOf = (ctx: TaskContext) => agentUnits(agentConfig(ctx.host))
const unitPath = (name: string) => `/etc/systemd/system/${name}`

/** The agent's systemd units (prepare step, union mount, agent service) with exact content. */
function agentUnitsTask(): Task {
  return task({
    name: 'flush agent units',
    tags: ['agent'],
    notify: [restart],
    facts: (ctx) => Object.fromEntries(unitsOf(ctx).map((u) => [u.name, fileContent(unitPath(u.name))])),
    plan: (current, ctx) => {
      const stale = unitsOf(ctx).filter((u) => !current[u.name]?.exists || current[u.name]!.content !== u.content)
      if (stale.length === 0) return noop('units up to date')
      return changes(
        ...stale.map((u) => ({
          summary: `${current[u.name]?.exists ? 'update' : 'create'} ${unitPath(u.name)}`,
          commands: [put(unitPath(u.name), u.content)],
          diff: { path: unitPath(u.name), before: current[u.name]?.content ?? '', after: u.content },
        })),
        change('reload systemd', sh`systemctl daemon-reload`),
      )
    },
  })
}

/**
 * The union is mounted. Its mount runs the offline prepare step first, which needs the agent stopped
 * (both would publish), so a running agent is stopped for the mount and started again by the next task.
 */
function unionMounted(): Task {
  return task({
    name: 'union mounted',
    tags: ['cache'],
    facts: (ctx) => ({ union: mountAt(ctx.host.settings.unionMount), agent: unitState(AGENT_UNIT), users: mountUsers(ctx.host.settings.unionMount) }),
    plan: ({ union, agent, users }, ctx) => {
      const path = ctx.host.settings.unionMount
      const lowerdir = overlayLowerDir(agentConfig(ctx.host))
      const onLower = union?.options.find((o) => o.startsWith('lowerdir='))
      if (union?.fstype === 'overlay' && (!onLower || onLower === `lowerdir=${lowerdir}`)) return noop(`${path} mounted`)
      if (union && union.fstype !== 'overlay') return refuse(`${path} has ${union.source} (${union.fstype}) mounted on it; unmount it yourself after checking what it is`)
      const unit = mountUnitName(path)
      // a union in use stays on its old lower; the agent moves it once nothing holds it (offline/relower.ts),
      // so that is no change of this run's, and the next run reports none either
      if (union && users?.length) return noop(`${path} is on its old lower (${onLower}) and in use by pid ${users.join(', ')}: the flush agent moves it onto ${lowerdir} once nothing holds it`)
      return changes(
        agent.active === 'active' && change(`stop ${AGENT_UNIT} for the offline prepare step`, sh`systemctl stop ${AGENT_UNIT}`),
        // its lower changed: a plain umount, upper stays as it is (a user in the meantime: see above)
        union
          ? change(
              `mount ${path} on ${lowerdir} (cached data stays in ${ctx.host.settings.cacheUpper})`,
              relowerCommand(path, unit),
            )
          : change(`mount ${path} (runs gfs-writecache prepare first)`, startUnit(unit)),
      )
    },
  })
}

/**
 * A plain umount (upper stays), then the mount unit's start with startUnit's retry; a union in use stays on its
 * old lower, which the agent moves once nothing holds it. Shown with the plain start, as startUnit shows it.
 */
export function relowerCommand(path: string, unit: string): ExecCommand {
  const start = startUnit(unit)
  const busy = `${path} is in use: it stays on its old lower until nothing holds it, then the flush agent moves it`
  const text = (startText: string) => shell`if umount -- ${path}; then ${raw(startText)}; else echo ${raw(`"${busy}"`)} >&2; fi`
  return fromShell({ script: text(start.script).script, display: text(start.display).display })
}

/** Tasks that install and run the agent; the union mount comes up between the prepare step and the agent. */
export function agentTasks(bundle: AgentBundle): Task[] {
  return [
    agentProgramTask(bundle),
    file('flush agent config', DEFAULT_CONFIG_PATH, (ctx) => JSON.stringify(agentConfig(ctx.host), null, 2) + '\n', {
      tags: ['agent'],
      notify: [restart],
    }),
    file('flush agent documentation', AGENT_DOC, () => contractDoc, { tags: ['agent'] }),
    unionLowerMounted(),
    agentUnitsTask(),
    service((ctx) => mountUnitName(ctx.host.settings.unionMount), { enabled: true }, { name: 'union mount enabled', tags: ['cache'] }),
    unionMounted(),
    drainMountsMounted(),
    agentRunning(),
  ]
}

/** Restart the agent once at the end when its program, config or units changed. */
export function agentHandlers(): Handler[] {
  return [{ name: restart, task: task({ name: restart, plan: () => changes(change(`restart ${AGENT_UNIT} and wait until it stays active`, ...agentRestart)) }) }]
}
