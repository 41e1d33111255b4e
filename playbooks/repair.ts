// Finds drift and puts both hosts back: services, peers, volume, bricks, options, mounts, agent, heals.
// Anything that could destroy data is refused with the command an operator would run, and why.
import { bundleAgent } from '../src/agent/bundle.ts'
import type { Playbook } from '../src/engine/task.ts'
import { agentHandlers } from '../src/tasks/writecache.ts'
import { applianceTasks } from './site.ts'

const playbook: Playbook = {
  name: 'repair',
  description: 'find drift and fix what is safe; explain the rest',
  tasks: applianceTasks(await bundleAgent(), { createVolume: false }),
  handlers: agentHandlers(),
}

export default playbook
