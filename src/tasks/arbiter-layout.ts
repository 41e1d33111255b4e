// How the volume's layout relates to an inventory with an arbiter: pure checks shared by the volume task
// (which leaves a volume lacking only the arbiter brick to "gluster arbiter brick") and that task.
import type { TaskContext } from '../engine/task.ts'
import { brickName, type VolumeInfo } from '../facts/gluster.ts'
import { arbiterHost } from './roles.ts'

/** Whether `volume` is the inventory's replica-2 volume lacking only the arbiter brick. */
export function lacksOnlyArbiter(volume: VolumeInfo, ctx: TaskContext): boolean {
  if (!arbiterHost(ctx.hosts) || volume.replicaCount !== 2 || volume.arbiterCount !== 0) return false
  const existing = volume.bricks.map(brickName)
  const dataBricks = ctx.hosts.filter((h) => h.role !== 'arbiter').map((h) => brickName({ host: h.name, path: h.settings.brick }))
  return existing.length === 2 && existing.every((b, i) => b === dataBricks[i])
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
