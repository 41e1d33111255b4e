// Health of the whole appliance on one screen; exits non-zero when something needs attention.
import type { Playbook } from '../src/engine/task.ts'
import { agentHealth, glusterdHealth, healHealth, mountsHealth, peersHealth, volumeHealth } from '../src/tasks/health.ts'
import { storageOnly } from '../src/tasks/roles.ts'

const playbook: Playbook = {
  name: 'status',
  description: 'read-only health report of hosts, peers, volume, heals, mounts and flush agents',
  keepGoing: true,
  showReasons: true,
  tasks: [glusterdHealth(), peersHealth(), volumeHealth(), healHealth(), storageOnly(mountsHealth()), storageOnly(agentHealth())],
}

export default playbook
