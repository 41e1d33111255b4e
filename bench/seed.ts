// The seed's table: 1 MiB in 1 KiB blocks into gv0 and into the union, 10 MiB in 1 MiB blocks into the union.
import { join } from 'node:path'
import { dd, onHost } from './host.ts'
import type { Layout } from './layout.ts'
import { median, repeat } from './stats.ts'

export const seedRuns = 3

export interface SeedResult {
  gv0SmallBlocksKBps: number
  unionSmallBlocksMBps: number
  unionLargeBlocksMBps: number
  speedup: number
  runs: { gv0SmallBlocks: number[]; unionSmallBlocks: number[]; unionLargeBlocks: number[] }
}

/** dd's three rows, median of three each, every dd with conv=fsync; rates in bytes per second. */
export async function seedTable(at: Layout): Promise<SeedResult> {
  // separate dirs: the same name in gv0 would make the union's dd an overwrite of a gv0 file (a copy-up)
  const gv0Dir = join(at.gv0, 'seed-gv0')
  const unionDir = join(at.union, 'seed-union')
  await onHost('hydra', ['mkdir', '-p', gv0Dir])
  await onHost('hydra', ['mkdir', unionDir])
  const rate = (r: { bytes: number; seconds: number }) => r.bytes / r.seconds
  const gv0SmallBlocks = await repeat(seedRuns, async (i) => rate(await dd('hydra', join(gv0Dir, `small-${i}`), '1K', 1024)))
  const unionSmallBlocks = await repeat(seedRuns, async (i) => rate(await dd('hydra', join(unionDir, `small-${i}`), '1K', 1024)))
  const unionLargeBlocks = await repeat(seedRuns, async (i) => rate(await dd('hydra', join(unionDir, `large-${i}`), '1M', 10)))
  const gv0 = median(gv0SmallBlocks)
  const unionSmall = median(unionSmallBlocks)
  return {
    gv0SmallBlocksKBps: gv0 / 1e3,
    unionSmallBlocksMBps: unionSmall / 1e6,
    unionLargeBlocksMBps: median(unionLargeBlocks) / 1e6,
    speedup: unionSmall / gv0,
    runs: { gv0SmallBlocks, unionSmallBlocks, unionLargeBlocks },
  }
}
