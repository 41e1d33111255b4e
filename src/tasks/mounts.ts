// Mounts that are active now and come back after a reboot: gv0 over FUSE, the union over overlayfs.
import { sh } from '../engine/command.ts'
import { change, changes, noop, refuse, task, type Change, type Task, type TaskContext } from '../engine/task.ts'
import { dirWithAttrs } from '../facts/files.ts'
import { mountAt, type Mount } from '../facts/mounts.ts'
import { unitState, type UnitState } from '../facts/systemd.ts'
import type { Settings } from '../inventory/types.ts'
import { AGENT_UNIT, mountUnitName } from '../agent/service/units.ts'

export { mountUnitName }

/** Take gv0 down to mount it again with other options: agent, union, then gv0 (docs/rationale.md, "Releasing gv0"). */
export function releaseGv0(s: Settings, now: { agent: UnitState; union?: Mount; gv0?: Mount }, why: string): Change[] {
  return [
    now.agent.active === 'active' && change(`stop ${AGENT_UNIT} before the union is unmounted`, sh`systemctl stop ${AGENT_UNIT}`),
    now.union && change(`unmount ${s.unionMount} (cached data stays in ${s.cacheUpper})`, sh`umount -- ${s.unionMount}`),
    now.gv0 && change(`unmount ${s.gv0Mount} ${why}`, sh`umount -- ${s.gv0Mount}`),
  ].filter((c): c is Change => Boolean(c))
}

/** gv0 mounted without `acl` (it shows `default_permissions`) is mounted again, so the agent can copy ACLs. */
export function gv0AclMount(): Task {
  return task({
    name: 'gv0 mounted with acl',
    tags: ['mounts'],
    facts: (ctx) => ({ gv0: mountAt(ctx.host.settings.gv0Mount), union: mountAt(ctx.host.settings.unionMount), agent: unitState(AGENT_UNIT) }),
    plan: ({ gv0, union, agent }, ctx) => {
      if (gv0?.fstype !== 'fuse.glusterfs') return noop(`${ctx.host.settings.gv0Mount} is not mounted yet`)
      if (!gv0.options.includes('default_permissions')) return noop(`${ctx.host.settings.gv0Mount} is mounted with acl`)
      return changes(...releaseGv0(ctx.host.settings, { agent, union, gv0 }, 'to mount it again with acl'))
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
