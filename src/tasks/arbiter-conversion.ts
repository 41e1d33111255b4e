// A running replica-2 volume gets the inventory's new arbiter brick with `add-brick replica 3 arbiter 1`.
// It runs after `gluster volume TLS`: add-brick mounts the volume on the arbiter to mark the new brick for
// heal, and the bricks refuse that mount until auth.ssl-allow names the arbiter (docs/arbiter.md).
import { shell } from '../engine/quote.ts'
import { change, changes, noop, refuse, task, type Task } from '../engine/task.ts'
import { volumeInfo } from '../facts/gluster.ts'
import { gluster, glusterScript } from '../facts/gluster-cli.ts'
import { arbiterHost } from './roles.ts'
import { wantedBricks } from './gluster.ts'
import { lacksOnlyArbiter } from './arbiter-layout.ts'

/** The arbiter brick added to a replica-2 volume: a site run only; repair never changes the volume's layout. */
export function arbiterBrickAdded(options: { convert: boolean }): Task {
  return task({
    name: options.convert ? 'gluster arbiter brick' : 'gluster arbiter brick present',
    tags: ['gluster'],
    runOnce: true,
    when: (ctx) => Boolean(arbiterHost(ctx.hosts)) || 'no arbiter in the inventory',
    facts: (ctx) => ({ volume: volumeInfo(ctx.host.settings.volume) }),
    plan: ({ volume }, ctx) => {
      const name = ctx.host.settings.volume
      const brick = wantedBricks(ctx.hosts).at(-1)!
      if (!volume) return refuse(`volume ${name} does not exist`)
      if (volume.arbiterCount > 0) return noop(`${name} is replica ${volume.replicaCount} arbiter ${volume.arbiterCount}`)
      if (!lacksOnlyArbiter(volume, ctx)) return refuse(`volume ${name} is not the inventory's replica-2 volume; see "gluster volume created"`)
      const summary = `add arbiter brick ${brick}: ${name} from replica 2 to replica 3 arbiter 1 (data bricks unchanged)`
      if (!options.convert) return refuse(`${summary} is needed; repair never changes the volume's layout: run the site playbook`)
      const force = arbiterHost(ctx.hosts)!.settings.brickForce ? ['force'] : []
      return changes(
        change(
          summary,
          // add-brick of a replica needs the volume started and every brick up: this run starts them only later
          gluster`volume start ${name} force`,
          gluster`volume add-brick ${name} ${['replica', '3', 'arbiter', '1', brick, ...force]}`,
          // A full crawl creates every existing name on the new brick, also when add-brick could not mark
          // the root for heal; the self-heal daemon needs a moment to connect to the new brick first.
          glusterScript(shell`n=0; until gfs_gluster volume heal ${name} full; do n=$((n+1)); [ $n -lt 30 ] || exit 1; sleep 2; done`),
        ),
      )
    },
  })
}
