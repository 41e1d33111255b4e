// The two workloads every write target gets (the union, the local disk under it, unionfs-fuse): one large
// file and 10,000 small files. Targets take turns and swap who goes first each round (A B, B A, ...), so
// that a slow spell of the shared machine, or the write-back of the previous run, hits both sides of a ratio
// alike. A large file's rate swings from 0.2 to 1.4 GB/s here with the host's write-back of the lab's loop
// disks (measured), so it gets seven rounds; small files get three. Each figure is the median.
import { join } from 'node:path'
import { dd, onHost, type HostName } from './host.ts'
import { median } from './stats.ts'
import { createFiles, smallFileRuns, type FilesRun } from './small-files.ts'

export const largeFileMiB = 100
export const largeFileRuns = 7
export const smallFileCount = 10_000

export interface TargetResult {
  dir: string
  /** bytes per second, dd bs=1M conv=fsync */
  largeBps: number
  smallFilesPerSecond: number
  runs: { largeBps: number[]; smallFiles: FilesRun[] }
}

export interface Target {
  dir: string
  /** stop each small-files run after this many seconds (files/s from what it wrote) */
  smallMaxSeconds?: number
  /** false when the caller clears the whole target afterwards (unlinks through a slow union cost time) */
  removeAfter?: boolean
}

/** The targets with their indexes in round i's order: as given in even rounds, reversed in odd ones. */
function turns<T>(targets: T[], round: number): [number, T][] {
  const order = [...targets.entries()]
  return round % 2 === 0 ? order : order.reverse()
}

/** Large file and small files into each target's directory on a host, the targets taking turns. */
export async function compareTargets(host: HostName, targets: Target[]): Promise<TargetResult[]> {
  const results: TargetResult[] = targets.map((t) => ({ dir: t.dir, largeBps: 0, smallFilesPerSecond: 0, runs: { largeBps: [], smallFiles: [] } }))
  for (const t of targets) await onHost(host, ['mkdir', '-p', t.dir])
  for (let i = 0; i < largeFileRuns; i++) {
    for (const [k, t] of turns(targets, i)) {
      const file = join(t.dir, `large-${i}`)
      await onHost(host, ['sync'])
      const r = await dd(host, file, '1M', largeFileMiB)
      if (t.removeAfter ?? true) await onHost(host, ['rm', '-f', file])
      results[k]!.runs.largeBps.push(r.bytes / r.seconds)
    }
  }
  for (let i = 0; i < smallFileRuns; i++) {
    for (const [k, t] of turns(targets, i)) {
      const sub = join(t.dir, `files-${i}`)
      await onHost(host, ['mkdir', sub])
      await onHost(host, ['sync'])
      results[k]!.runs.smallFiles.push(await createFiles(host, sub, smallFileCount, { maxSeconds: t.smallMaxSeconds ?? 60 }))
      if (t.removeAfter ?? true) await onHost(host, ['rm', '-rf', sub])
    }
  }
  for (const r of results) {
    r.largeBps = median(r.runs.largeBps)
    r.smallFilesPerSecond = median(r.runs.smallFiles.map((x) => x.perSecond))
  }
  return results
}
