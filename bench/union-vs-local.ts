// The cache against the local disk it sits on: the same workloads in /data directly and through /gfs/union.
import { join } from 'node:path'
import type { Layout } from './layout.ts'
import { compareTargets, type TargetResult } from './write-targets.ts'

export interface UnionVsLocal {
  largeRatio: number
  smallFilesRatio: number
  union: TargetResult
  local: TargetResult
}

/** Union over local disk, for a large file and for 10,000 4 KiB files (new dirs, so the union stays in upper). */
export async function unionVsLocal(at: Layout): Promise<UnionVsLocal> {
  const [local, union] = await compareTargets('hydra', [{ dir: join(at.local, 'local') }, { dir: join(at.union, 'vs-local') }])
  return { largeRatio: union!.largeBps / local!.largeBps, smallFilesRatio: union!.smallFilesPerSecond / local!.smallFilesPerSecond, union: union!, local: local! }
}
