// A running replica-2 volume gets the inventory's new arbiter brick with `add-brick replica 3 arbiter 1`;
// the quorum options follow in `gluster volume options`, the heal in `pending heals` (docs/arbiter.md).
import { sh } from '../engine/command.ts'
import { change, changes, type Plan, type TaskContext } from '../engine/task.ts'
import { brickName, type VolumeInfo } from '../facts/gluster.ts'
import { arbiterHost } from './roles.ts'

/**
 * The add-brick that turns `volume` into the inventory's replica 3 arbiter 1, or undefined when that is not
 * the only difference (the caller refuses then). Data bricks are never touched: the new brick holds names only.
 */
export function arbiterAddition(volume: VolumeInfo, wanted: string[], ctx: TaskContext): Plan | undefined {
  const arbiter = arbiterHost(ctx.hosts)
  if (!arbiter || volume.replicaCount !== 2 || volume.arbiterCount !== 0) return undefined
  const existing = volume.bricks.map(brickName)
  const arbiterBrick = wanted.at(-1)!
  const dataBricks = wanted.slice(0, -1)
  if (existing.length !== 2 || existing.some((b, i) => b !== dataBricks[i])) return undefined
  const force = arbiter.settings.brickForce ? ['force'] : []
  const name = ctx.host.settings.volume
  return changes(
    change(
      `add arbiter brick ${arbiterBrick}: ${name} from replica 2 to replica 3 arbiter 1 (data bricks unchanged)`,
      sh`gluster --mode=script volume add-brick ${name} ${['replica', '3', 'arbiter', '1', arbiterBrick, ...force]}`,
    ),
  )
}

/** How to take an arbiter brick out by hand, for the refusal when the inventory no longer has the arbiter. */
export function arbiterRemovalHint(volume: VolumeInfo, ctx: TaskContext): string {
  const brick = volume.bricks.find((b) => b.arbiter)
  if (!brick || arbiterHost(ctx.hosts)) return ''
  const name = ctx.host.settings.volume
  return (
    ` To go back to replica 2 without the arbiter (its brick holds no file data): ` +
    `gluster volume remove-brick ${name} replica 2 ${brickName(brick)} force; gluster peer detach ${brick.host}.`
  )
}
