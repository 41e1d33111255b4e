// 4 KiB files over the shaped link: directly in gv0, through the union in a new dir and in a merged dir.
import { join } from 'node:path'
import { dropDentries, hostWorkload, onHost, type HostName } from './host.ts'
import type { Layout } from './layout.ts'
import { median, repeat } from './stats.ts'

export const smallFileSize = 4096
export const smallFileRuns = 3

export interface FilesRun {
  files: number
  seconds: number
  perSecond: number
}

/** Creates up to `count` 4 KiB files named PREFIXi in dir on a host, stopping after maxSeconds; timed on the host. */
export async function createFiles(host: HostName, dir: string, count: number, opts: { maxSeconds: number; writers?: number; prefix?: string }): Promise<FilesRun> {
  return await hostWorkload<FilesRun>(host, ['files', dir, count, smallFileSize, opts.maxSeconds, opts.writers ?? 1, opts.prefix ?? 'f-'], (opts.maxSeconds + 120) * 1000)
}

export interface SmallFilesResult {
  gv0PerSecond: number
  unionNewDirPerSecond: number
  unionMergedDirPerSecond: number
  runs: { gv0: FilesRun[]; unionNewDir: FilesRun[]; unionMergedDir: FilesRun[] }
}

/** Makes the merged directory: created in gv0 itself, then the union's dentries dropped so it sees it. */
export async function prepareMergedDir(at: Layout): Promise<string> {
  await onHost('hydra', ['mkdir', '-p', join(at.gv0, 'merged'), join(at.gv0, 'direct')])
  await dropDentries('hydra')
  return join(at.union, 'merged')
}

/** The three small-file rates, median of three runs each (each run is capped in time, files/s from what it wrote). */
export async function smallFiles(at: Layout): Promise<SmallFilesResult> {
  const merged = await prepareMergedDir(at)
  const gv0 = await repeatRuns((i) => createFiles('hydra', join(at.gv0, 'direct'), 40, { maxSeconds: 6, prefix: `g${i}-` }))
  const unionNewDir = await repeatRuns(async (i) => {
    const dir = join(at.union, `new-${i}`)
    await onHost('hydra', ['mkdir', dir])
    return await createFiles('hydra', dir, 3000, { maxSeconds: 10 })
  })
  const unionMergedDir = await repeatRuns((i) => createFiles('hydra', merged, 300, { maxSeconds: 6, prefix: `m${i}-` }))
  const rate = (runs: FilesRun[]) => median(runs.map((r) => r.perSecond))
  return {
    gv0PerSecond: rate(gv0),
    unionNewDirPerSecond: rate(unionNewDir),
    unionMergedDirPerSecond: rate(unionMergedDir),
    runs: { gv0, unionNewDir, unionMergedDir },
  }
}

/** smallFileRuns runs of a file-creating step, collected in order. */
export async function repeatRuns(step: (run: number) => Promise<FilesRun>): Promise<FilesRun[]> {
  const runs: FilesRun[] = []
  await repeat(smallFileRuns, async (i) => {
    const r = await step(i)
    runs.push(r)
    return r.perSecond
  })
  return runs
}
