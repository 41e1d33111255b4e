// Where one benchmark run puts its files on the lab hosts: one fresh directory per run, in gv0 and on /data.
import { join } from 'node:path'
import type { Settings } from '../src/inventory/types.ts'

export interface Layout {
  /** the run's directory name, relative to gv0's root (so the same name in gv0, the union and the bricks) */
  name: string
  gv0: string
  union: string
  /** brick path of the run's directory (same on both hosts) */
  brick: string
  /** scratch space on the cache's own disk, outside the cache */
  local: string
  /** the volume, for gluster commands */
  volume: string
  gv0Mount: string
  dataDisk: string
}

/** The paths of this run, from the inventory's settings for the host that runs the workloads. */
export function layoutFor(settings: Settings, stamp: string): Layout {
  const name = `bench-${stamp}`
  return {
    name,
    gv0: join(settings.gv0Mount, name),
    union: join(settings.unionMount, name),
    brick: join(settings.brick, name),
    local: join(settings.dataDisk, name),
    volume: settings.volume,
    gv0Mount: settings.gv0Mount,
    dataDisk: settings.dataDisk,
  }
}
