// The main job: bare Debian hosts to a replica-2 gv0, mounted, with the write cache and its agent.
// Every task converges, so running it again repairs drift too; playbooks/repair.ts reuses the list.
import { bundleAgent } from '../src/agent/bundle.ts'
import { refuse, type Playbook, type Task, type TaskContext } from '../src/engine/task.ts'
import { brickIdentityRestored, bricksOnline } from '../src/tasks/bricks.ts'
import { directory, fstabEntry } from '../src/tasks/files.ts'
import { peersInCluster, probePeers, volumeCreated, volumeOptionsSet, volumeStarted } from '../src/tasks/gluster.ts'
import { healed, splitBrainResolved } from '../src/tasks/heal.ts'
import { immutableMountPoint, mounted } from '../src/tasks/mounts.ts'
import { packages } from '../src/tasks/packages.ts'
import { brickDirectory, storagePreflight } from '../src/tasks/storage.ts'
import { service } from '../src/tasks/systemd.ts'
import { certificateInstalled, certificatesIssued, managementEncryption, volumeTls } from '../src/tasks/tls.ts'
import { agentHandlers, agentTasks, type AgentBundle } from '../src/tasks/writecache.ts'

/** Packages every host needs: gluster, the agent's runtime, and the tools the agent and repair use. */
export const hostPackages = ['glusterfs-server', 'glusterfs-client', 'nodejs', 'attr', 'psmisc', 'e2fsprogs', 'procps']

/** gv0's fstab line: mounted from this host's glusterd, the others as backup volfile servers, after glusterd. */
export function gv0FstabEntry(ctx: TaskContext) {
  const others = ctx.hosts.filter((h) => h.name !== ctx.host.name && h.role !== 'arbiter').map((h) => h.name)
  return {
    source: `${ctx.host.name}:/${ctx.host.settings.volume}`,
    mountPoint: ctx.host.settings.gv0Mount,
    fstype: 'glusterfs',
    options: [
      'defaults',
      '_netdev',
      ...(others.length ? [`backup-volfile-servers=${others.join(':')}`] : []),
      'x-systemd.requires=glusterd.service',
      'x-systemd.after=glusterd.service',
    ],
  }
}

/** The volume task: creates gv0, or (for repair) only insists that it exists. */
function volume(create: boolean): Task {
  const created = volumeCreated()
  if (create) return created
  return {
    ...created,
    name: 'gluster volume exists',
    plan: (facts, ctx) => {
      const plan = created.plan(facts, ctx)
      if ('changes' in plan && plan.changes.length)
        return refuse(`volume ${ctx.host.settings.volume} does not exist; repair never creates volumes: run the site playbook`)
      return plan
    },
  }
}

/** Every task of the appliance, in order. */
export function applianceTasks(agent: AgentBundle, options: { createVolume: boolean }): Task[] {
  return [
    storagePreflight(),
    packages('packages installed', hostPackages),
    certificatesIssued(),
    certificateInstalled(),
    managementEncryption(),
    service('glusterd', { enabled: true, started: true }, { name: 'glusterd enabled and running', tags: ['gluster'] }),
    brickDirectory(),
    probePeers(),
    peersInCluster(),
    volume(options.createVolume),
    brickIdentityRestored(),
    volumeTls(),
    volumeStarted(),
    bricksOnline(),
    volumeOptionsSet(),
    fstabEntry('gv0 in /etc/fstab', gv0FstabEntry, { tags: ['mounts'] }),
    mounted('gv0 mounted', (ctx) => ({ path: ctx.host.settings.gv0Mount, fstype: 'fuse.glusterfs' }), { tags: ['mounts'] }),
    directory('cache upper dir', (ctx) => ctx.host.settings.cacheUpper, { tags: ['cache'] }),
    directory('cache work dir', (ctx) => ctx.host.settings.cacheWork, { tags: ['cache'] }),
    immutableMountPoint('union mount point', (ctx) => ctx.host.settings.unionMount, { tags: ['cache'] }),
    ...agentTasks(agent),
    healed(),
    splitBrainResolved(),
  ]
}

const playbook: Playbook = {
  name: 'site',
  description: 'provision both hosts: gluster volume, mounts, write cache and flush agent',
  tasks: applianceTasks(await bundleAgent(), { createVolume: true }),
  handlers: agentHandlers(),
}

export default playbook
