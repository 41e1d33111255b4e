// Takes the appliance off the hosts: final flush, agent and units removed, union and gv0 unmounted, fstab
// cleaned. The volume is deleted only with --delete-volume, brick data and the cache only with --delete-data.
import { UsageError } from '../src/engine/errors.ts'
import type { Playbook } from '../src/engine/task.ts'
import { teardownTasks, type TeardownOptions } from '../src/tasks/teardown.ts'

/** The teardown for these switches; --delete-data without --delete-volume is wrong usage. */
export function teardown(o: TeardownOptions): Playbook {
  if (o.deleteData && !o.deleteVolume)
    throw new UsageError('--delete-data deletes the bricks of a deleted volume: give --delete-volume too')
  return {
    name: 'teardown',
    description: 'remove the write cache, its agent and the mounts; keep the volume and all data unless told otherwise',
    tasks: teardownTasks(o),
    anyErrorsFatal: true,
    switches: ['force', 'delete-volume', 'delete-data'],
    configure: (s) => teardown({ force: !!s.force, deleteVolume: !!s['delete-volume'], deleteData: !!s['delete-data'] }),
  }
}

export default teardown({ force: false, deleteVolume: false, deleteData: false })
