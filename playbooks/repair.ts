// Finds drift and puts both hosts back: services, peers, volume, bricks, options, mounts, agent, heals.
// Anything that could destroy data is refused with the command an operator would run, and why.
import { appliancePlaybook } from '../src/tasks/appliance.ts'

export default await appliancePlaybook('repair', 'find drift and fix what is safe; explain the rest', { createVolume: false })
