// The two workloads every write target gets (the union, the local disk under it, unionfs-fuse): one large
// file and 10,000 small files, each median of three, so the ratios compare like with like.
import { join } from 'node:path'
import { dd, onHost, type HostName } from './host.ts'
import { median, repeat } from './stats.ts'
import { createFiles, smallFileRuns, type FilesRun } from './small-files.ts'

export const largeFileMiB = 100
export const smallFileCount = 10_000

export interface TargetResult {
  /** bytes per second, dd bs=1M conv=fsync */
  largeBps: number
  smallFilesPerSecond: number
  runs: { largeBps: number[]; smallFiles: FilesRun[] }
}

/** Large file and small files into a directory on a host; each run in a fresh subdirectory, removed afterwards unless the caller clears the whole target. */
export async function measureTarget(host: HostName, dir: string, opts: { smallMaxSeconds?: number; removeAfter?: boolean } = {}): Promise<TargetResult> {
  await onHost(host, ['mkdir', '-p', dir])
  const largeBps = await repeat(smallFileRuns, async (i) => {
    const file = join(dir, `large-${i}`)
    const r = await dd(host, file, '1M', largeFileMiB)
    if (opts.removeAfter ?? true) await onHost(host, ['rm', '-f', file])
    return r.bytes / r.seconds
  })
  const smallFiles: FilesRun[] = []
  for (let i = 0; i < smallFileRuns; i++) {
    const sub = join(dir, `files-${i}`)
    await onHost(host, ['mkdir', sub])
    smallFiles.push(await createFiles(host, sub, smallFileCount, { maxSeconds: opts.smallMaxSeconds ?? 60 }))
    if (opts.removeAfter ?? true) await onHost(host, ['rm', '-rf', sub])
  }
  return { largeBps: median(largeBps), smallFilesPerSecond: median(smallFiles.map((r) => r.perSecond)), runs: { largeBps, smallFiles } }
}
