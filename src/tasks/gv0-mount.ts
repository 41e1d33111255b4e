// How gv0 is mounted on a host: its fstab line, also the source and options of the agent's drain mounts.
import type { TaskContext } from '../engine/task.ts'

/**
 * gv0's fstab line: mounted from this host's glusterd, the others as backup volfile servers, after glusterd.
 * `acl`: without it gluster's FUSE client refuses POSIX ACLs (EOPNOTSUPP) and the agent publishes without them;
 * a gv0 mounted without it is mounted again (gv0AclMount).
 */
export function gv0FstabEntry(ctx: TaskContext) {
  const others = ctx.hosts.filter((h) => h.name !== ctx.host.name && h.role !== 'arbiter').map((h) => h.name)
  return {
    source: `${ctx.host.name}:/${ctx.host.settings.volume}`,
    mountPoint: ctx.host.settings.gv0Mount,
    fstype: 'glusterfs',
    options: [
      'defaults',
      '_netdev',
      'acl',
      ...(others.length ? [`backup-volfile-servers=${others.join(':')}`] : []),
      'x-systemd.requires=glusterd.service',
      'x-systemd.after=glusterd.service',
    ],
  }
}

/** gv0's mount options for another client of it in a systemd mount unit (no fstab-only options). */
export function gv0ClientOptions(ctx: TaskContext): string[] {
  return gv0FstabEntry(ctx).options.filter((o) => o !== 'defaults' && !o.startsWith('x-systemd.'))
}
