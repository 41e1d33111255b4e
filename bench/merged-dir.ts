// Attempts to beat the merged-directory figure: each new name there costs overlayfs a lookup in gluster.
// Every variant is measured in the same run as the baseline and undone afterwards (volume options reset,
// test mounts removed); the appliance's own mounts are never changed.
import { join } from 'node:path'
import { dropDentries, onHost, tryOnHost } from './host.ts'
import type { Layout } from './layout.ts'
import { median } from './stats.ts'
import { createFiles, repeatRuns, type FilesRun } from './small-files.ts'

export interface MergedDirVariant {
  name: string
  /** what exactly was changed */
  how: string
  perSecond: number
  runs: FilesRun[]
}

const overlaySafety = 'redirect_dir=off,index=off,metacopy=off,xino=off'

async function variant(name: string, how: string, step: (run: number) => Promise<FilesRun>): Promise<MergedDirVariant> {
  const runs = await repeatRuns(step)
  return { name, how, perSecond: median(runs.map((r) => r.perSecond)), runs }
}

/** Several writers at once in the merged dir: the lookups overlap, so the aggregate rate grows. */
async function parallelWriters(merged: string): Promise<MergedDirVariant> {
  return variant('8 writers in parallel', 'same union and merged dir, 8 files written concurrently', (i) =>
    createFiles('hydra', merged, 1500, { maxSeconds: 6, writers: 8, prefix: `p${i}-` }),
  )
}

/** A second gv0 FUSE mount with kernel negative/entry caching, and an overlay over it with its own upper dir. */
async function fuseTimeouts(at: Layout, options: string): Promise<MergedDirVariant> {
  const gv0 = `/mnt/${at.name}-gv0`
  const union = `/mnt/${at.name}-union`
  const scratch = join(at.local, 'fuse-variant')
  const upper = join(scratch, 'upper')
  const work = join(scratch, 'work')
  await onHost('hydra', ['mkdir', '-p', gv0, union, upper, work])
  try {
    await onHost('hydra', ['mount', '-t', 'glusterfs', '-o', options, `localhost:/${at.volume}`, gv0])
    await onHost('hydra', ['mount', '-t', 'overlay', 'overlay', '-o', `lowerdir=${gv0},upperdir=${upper},workdir=${work},${overlaySafety}`, union])
    const merged = join(union, at.name, 'merged')
    return await variant(`gv0 FUSE mount -o ${options}`, `mount -t glusterfs -o ${options}; overlay on it as the appliance mounts it`, (i) =>
      createFiles('hydra', merged, 300, { maxSeconds: 6, prefix: `t${i}-` }),
    )
  } finally {
    await tryOnHost('hydra', ['umount', union])
    await tryOnHost('hydra', ['umount', gv0])
    await tryOnHost('hydra', ['rm', '-rf', scratch])
    await tryOnHost('hydra', ['rmdir', gv0, union])
  }
}

/** Option names a gluster option group sets, read from glusterd's group file on the host. */
async function groupOptions(group: string): Promise<string[]> {
  const text = await onHost('hydra', ['cat', `/var/lib/glusterd/groups/${group}`])
  return text.split('\n').map((l) => l.split('=')[0]!.trim()).filter((k) => k && !k.startsWith('#'))
}

/** gluster's negative-lookup cache with positive entries; once without and once after a listing of the dir. */
async function nlCache(at: Layout, merged: string): Promise<MergedDirVariant[]> {
  const keys = [...(await groupOptions('nl-cache')), 'performance.nl-cache-positive-entry']
  const set = `gluster volume set ${at.volume} group nl-cache; gluster volume set ${at.volume} performance.nl-cache-positive-entry on`
  await onHost('hydra', ['gluster', 'volume', 'set', at.volume, 'group', 'nl-cache'])
  try {
    await onHost('hydra', ['gluster', 'volume', 'set', at.volume, 'performance.nl-cache-positive-entry', 'on'])
    await new Promise((r) => setTimeout(r, 3000)) // the client switches to the new graph
    await dropDentries('hydra')
    const plain = await variant('gluster nl-cache', set, (i) => createFiles('hydra', merged, 300, { maxSeconds: 6, prefix: `n${i}-` }))
    const listed = await variant('gluster nl-cache + a listing of the dir first', `${set}; ls the directory (readdirp fills the positive-entry cache) before writing`, async (i) => {
      await onHost('hydra', ['ls', '-f', merged])
      return await createFiles('hydra', merged, 300, { maxSeconds: 6, prefix: `l${i}-` })
    })
    return [plain, listed]
  } finally {
    for (const key of keys) await tryOnHost('hydra', ['gluster', '--mode=script', 'volume', 'reset', at.volume, key])
    await new Promise((r) => setTimeout(r, 3000))
    // the new client graph leaves the union's dentries stale (ESTALE); hydra's agent, which drops them
    // on a graph switch, is stopped while the bench writes
    await dropDentries('hydra')
  }
}

/** Every variant, each against the same merged dir (new names per run); failures are reported, not fatal. */
export async function mergedDirVariants(at: Layout, merged: string, log: (line: string) => void): Promise<MergedDirVariant[]> {
  const found: MergedDirVariant[] = []
  const attempt = async (label: string, step: () => Promise<MergedDirVariant | MergedDirVariant[]>) => {
    try {
      const r = await step()
      for (const v of Array.isArray(r) ? r : [r]) {
        found.push(v)
        log(`  merged dir, ${v.name}: ${v.perSecond.toFixed(1)} files/s`)
      }
    } catch (error) {
      log(`  merged dir, ${label}: failed: ${(error as Error).message}`)
    }
  }
  await attempt('parallel writers', () => parallelWriters(merged))
  await attempt('FUSE negative-timeout', () => fuseTimeouts(at, 'negative-timeout=60'))
  await attempt('FUSE entry/attribute/negative timeouts', () => fuseTimeouts(at, 'negative-timeout=60,entry-timeout=60,attribute-timeout=60'))
  await attempt('nl-cache', () => nlCache(at, merged))
  return found
}
