// The appliance as one list of converging tasks: the site playbook runs it from bare hosts, the repair
// playbook runs it again on drifted ones (never creating the volume). Bundles the agent once per run.
import { sysctlsApplied } from './sysctl.ts'
import { bundleAgent } from '../agent/bundle.ts'
import { refuse, type Playbook, type Task } from '../engine/task.ts'
import { brickIdentityRestored, bricksOnline } from './bricks.ts'
import { directory, fstabEntry } from './files.ts'
import { peersInCluster, probePeers, volumeCreated, volumeOptionsSet, volumeStarted } from './gluster.ts'
import { healed, splitBrainResolved } from './heal.ts'
import { glusterIdentityRestored } from './identity.ts'
import { gv0AclMount, immutableMountPoint } from './mounts.ts'
import { gv0Mounted } from './gv0-mounted.ts'
import { packages } from './packages.ts'
import { brickDirectory, brickXattrRoom, storagePreflight } from './storage.ts'
import { service } from './systemd.ts'
import { certificateInstalled, certificatesIssued, managementEncryption, volumeTls } from './tls.ts'
import { agentHandlers, agentTasks, type AgentBundle } from './writecache.ts'
import { gv0FstabEntry } from './gv0-mount.ts'
import { storageOnly } from './roles.ts'
import { gv0ClientAlive } from './gv0-client.ts'
import { arbiterBrickAdded } from './arbiter-conversion.ts'

export { gv0FstabEntry }

/** Packages every host needs: gluster, the agent's runtime, and the tools the agent and repair use. */
export const hostPackages = ['glusterfs-server', 'glusterfs-client', 'nodejs', 'attr', 'psmisc', 'e2fsprogs', 'procps']

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
        return refuse(
          facts.volume
            ? `volume ${ctx.host.settings.volume} would change (${plan.changes.map((c) => c.summary).join('; ')}); repair never changes the volume's layout: run the site playbook`
            : `volume ${ctx.host.settings.volume} does not exist; repair never creates volumes: run the site playbook`,
        )
      return plan
    },
  }
}

/** Every task of the appliance, in order. */
export function applianceTasks(agent: AgentBundle, options: { createVolume: boolean }): Task[] {
  return [
    storagePreflight(),
    packages('packages installed', hostPackages),
    sysctlsApplied(),
    certificatesIssued(),
    certificateInstalled(),
    managementEncryption(),
    brickDirectory(),
    brickXattrRoom(),
    glusterIdentityRestored(),
    service('glusterd', { enabled: true, started: true }, { name: 'glusterd enabled and running', tags: ['gluster'] }),
    glusterIdentityRestored({ poolUp: true }),
    probePeers(),
    peersInCluster(),
    volume(options.createVolume),
    brickIdentityRestored(),
    volumeTls(),
    arbiterBrickAdded({ convert: options.createVolume }),
    volumeStarted(),
    bricksOnline(),
    volumeOptionsSet(),
    ...[
      fstabEntry('gv0 in /etc/fstab', gv0FstabEntry, { tags: ['mounts'] }),
      gv0AclMount(),
      gv0ClientAlive(),
      gv0Mounted(),
      directory('cache upper dir', (ctx) => ctx.host.settings.cacheUpper, { tags: ['cache'] }),
      directory('cache work dir', (ctx) => ctx.host.settings.cacheWork, { tags: ['cache'] }),
      immutableMountPoint('union mount point', (ctx) => ctx.host.settings.unionMount, { tags: ['cache'] }),
      ...agentTasks(agent),
    ].map(storageOnly),
    healed(),
    splitBrainResolved(),
  ]
}

/** A playbook of the appliance's tasks, with the agent bundled from this checkout. */
export async function appliancePlaybook(name: string, description: string, options: { createVolume: boolean }): Promise<Playbook> {
  return { name, description, tasks: applianceTasks(await bundleAgent(), options), handlers: agentHandlers() }
}
