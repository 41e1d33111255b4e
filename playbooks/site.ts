// The main job: bare Debian hosts to a replica-2 gv0, mounted, with the write cache and its agent.
// Every task converges, so running it again repairs drift too.
import { appliancePlaybook } from '../src/tasks/appliance.ts'

export default await appliancePlaybook('site', 'provision both hosts: gluster volume, mounts, write cache and flush agent', {
  createVolume: true,
})
