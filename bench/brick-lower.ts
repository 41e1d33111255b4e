// union_lower: the union with this host's brick as its lower layer against the appliance's union on gv0,
// side by side in one run: creates in a directory gv0 already has (also while hydra's agent drains into
// it), and reads of gv0 files (one large, many 4 KiB) against the same files on the local disk.
// The brick-lower union is a test overlay beside the appliance's, mounted as the agent mounts it.
import { join } from 'node:path'
import * as lab from '../src/lab/api.ts'
import { onHost, tryOnHost } from './host.ts'
import type { Layout } from './layout.ts'
import { median } from './stats.ts'
import { createFiles, repeatRuns, type FilesRun } from './small-files.ts'

export interface BrickLowerResult {
  unionMergedDirBrickLowerPerSecond: number
  unionMergedDirWhileDrainingPerSecond: number
  /** the same creates through the brick-lower overlay while hydra's agent drains into that directory */
  unionMergedDirBrickLowerWhileDrainingPerSecond: number
  /** a new directory of the brick-lower overlay, the same count: the like-for-like base of the merged figure */
  unionNewDirBrickLowerPerSecond: number
  unionLargeMBps: number
  localLargeMBps: number
  largeRatio: number
  unionSmallFilesPerSecond: number
  localSmallFilesPerSecond: number
  smallFilesRatio: number
  /** the same reads through the appliance's union on gv0, for the table */
  gv0UnionLargeMBps: number
  gv0UnionSmallFilesPerSecond: number
}

const overlaySafety = 'redirect_dir=off,index=off,metacopy=off,xino=off'
const readFiles = 300
/** as many files per run as the union's new-dir figure writes, so both rates carry the same start-up costs */
export const createCount = 3000
const createSeconds = 10
/** files pending in the merged dir when the creates while draining start */
export const backlogFiles = 1000
/** a cold read of 50 MiB took about 0.05 s, within the machine's noise (ratios of 0.41-0.93 between runs) */
export const largeMiB = 200
export const readRounds = 5

/** Seconds a shell command takes on hydra, after dropping every cache (cold reads). */
async function coldSeconds(script: string): Promise<number> {
  const out = await onHost('hydra', ['sh', '-c', `sync; echo 3 > /proc/sys/vm/drop_caches; s=$(date +%s.%N); ${script}; e=$(date +%s.%N); echo "$s $e"`])
  const [s, e] = out.trim().split('\n').pop()!.split(' ').map(Number)
  return e! - s!
}

async function reads(root: string, files: { large: string; small: string }): Promise<{ largeMBps: number; smallPerSecond: number }> {
  const large = await coldSeconds(`cat ${join(root, files.large)} > /dev/null`)
  const small = await coldSeconds(`cat ${join(root, files.small)}/* > /dev/null`)
  return { largeMBps: (largeMiB * 1048576) / large / 1e6, smallPerSecond: readFiles / small }
}

export async function brickLowerBench(at: Layout, brickRoot: string, log: (line: string) => void): Promise<BrickLowerResult> {
  const scratch = join(at.local, 'brick-lower')
  const bind = `/mnt/${at.name}-brick`
  const union = `/mnt/${at.name}-bunion`
  const upper = join(scratch, 'upper')
  const work = join(scratch, 'work')
  const local = join(at.local, 'reads')
  await onHost('hydra', ['mkdir', '-p', bind, union, upper, work, local, join(at.gv0, 'reads'), join(at.gv0, 'merged-b')])
  try {
    // the files to read: in gv0 (so on both bricks) and the same bytes on the local disk
    // copied with the link unlimited (the same RTT): 200 MiB at the seed table's 2.5 Mbit/s would take 11 minutes
    const shaped = (await lab.status()).state?.shape
    await lab.shape(null, { rttMs: shaped?.rttMs })
    try {
      await onHost('hydra', ['sh', '-c', `head -c ${largeMiB}M /dev/urandom > ${local}/large && cp ${local}/large ${at.gv0}/reads/large && mkdir -p ${local}/small ${at.gv0}/reads/small && for i in $(seq 1 ${readFiles}); do head -c 4096 /dev/urandom > ${local}/small/$i; done && cp ${local}/small/* ${at.gv0}/reads/small/`], { timeoutMs: 900_000 })
    } finally {
      if (shaped) await lab.shape(shaped.rateKbit, { rttMs: shaped.rttMs })
    }
    await onHost('hydra', ['mount', '--bind', brickRoot, bind])
    await onHost('hydra', ['mount', '-o', 'remount,bind,ro', bind])
    await onHost('hydra', ['sh', '-c', `for n in $(ls -a ${brickRoot} | grep '^\\.glusterfs'); do mknod ${upper}/$n c 0 0; done`])
    await onHost('hydra', ['mount', '-t', 'overlay', 'overlay', '-o', `lowerdir=${bind},upperdir=${upper},workdir=${work},${overlaySafety}`, union])
    const rel = { large: join(at.name, 'reads/large'), small: join(at.name, 'reads/small') }
    const viaBrick: { largeMBps: number; smallPerSecond: number }[] = []
    const viaLocal: typeof viaBrick = []
    const viaGv0: typeof viaBrick = []
    // a cold read takes a fraction of a second: on a shared machine one run is noise, so more runs, and
    // each round starts with another of the three so that none always reads first after the others' writes
    const readers = [() => reads(union, rel).then((r) => viaBrick.push(r)), () => reads(at.local, { large: 'reads/large', small: 'reads/small' }).then((r) => viaLocal.push(r)), () => reads(join(at.union, '..'), rel).then((r) => viaGv0.push(r))]
    for (let i = 0; i < readRounds; i++) for (let j = 0; j < readers.length; j++) await readers[(i + j) % readers.length]!()
    const med = (xs: typeof viaBrick, k: 'largeMBps' | 'smallPerSecond') => median(xs.map((x) => x[k]))
    // taking turns: a new directory of the same overlay, then the merged one, three times
    const newDir: FilesRun[] = []
    const created = await repeatRuns(async (i) => {
      const dir = join(union, at.name, `new-b${i}`)
      await onHost('hydra', ['mkdir', dir])
      newDir.push(await createFiles('hydra', dir, createCount, { maxSeconds: createSeconds }))
      return await createFiles('hydra', join(union, at.name, 'merged-b'), createCount, { maxSeconds: createSeconds, prefix: `b${i}-` })
    })
    const brickPerSecond = median(created.map((r) => r.perSecond))
    const brickNewDir = median(newDir.map((r) => r.perSecond))
    log(`  brick lower: merged dir ${brickPerSecond.toFixed(0)}/s, new dir ${brickNewDir.toFixed(0)}/s; reads large ${med(viaBrick, 'largeMBps').toFixed(0)} MB/s vs local ${med(viaLocal, 'largeMBps').toFixed(0)}`)
    // the appliance's union on gv0 while hydra's agent drains a backlog into the same directory
    await onHost('hydra', ['systemctl', 'start', 'gfs-writecache.service'])
    // anything else pending first, so that the agent's drain is the one into merged-b
    await onHost('hydra', ['gfs-writecache', 'flush', '--wait', '--timeout', '600'], { timeoutMs: 630_000 })
    await createFiles('hydra', join(at.union, 'merged-b'), backlogFiles, { maxSeconds: 20, prefix: 'backlog-' })
    await new Promise((r) => setTimeout(r, 7000)) // past the settle time: the agent is publishing
    // first the brick-lower overlay's merged dir (a second or so; its lookups never wait for the agent's
    // FUSE locks), then the union on gv0's: the backlog lasts past both (the drain runs at tens of files/s)
    const arrived = async () => Number((await onHost('hydra', ['sh', '-c', `ls ${join(at.gv0, 'merged-b')} | grep -c '^backlog-'; true`])).trim())
    const before = await arrived()
    const brickDraining = await repeatRuns((i) => createFiles('hydra', join(union, at.name, 'merged-b'), createCount, { maxSeconds: createSeconds, prefix: `bd${i}-` }))
    const draining = await repeatRuns((i) => createFiles('hydra', join(at.union, 'merged-b'), 100, { maxSeconds: 6, prefix: `d${i}-` }))
    const after = await arrived()
    log(`  while draining (${after - before} of the ${backlogFiles} backlog files published meanwhile, ${backlogFiles - after} left): union on gv0 ${median(draining.map((x) => x.perSecond)).toFixed(1)}/s, on the brick ${median(brickDraining.map((x) => x.perSecond)).toFixed(0)}/s`)
    const r: BrickLowerResult = {
      unionMergedDirBrickLowerPerSecond: brickPerSecond,
      unionMergedDirWhileDrainingPerSecond: median(draining.map((x) => x.perSecond)),
      unionMergedDirBrickLowerWhileDrainingPerSecond: median(brickDraining.map((x) => x.perSecond)),
      unionNewDirBrickLowerPerSecond: brickNewDir,
      unionLargeMBps: med(viaBrick, 'largeMBps'),
      localLargeMBps: med(viaLocal, 'largeMBps'),
      largeRatio: med(viaBrick, 'largeMBps') / med(viaLocal, 'largeMBps'),
      unionSmallFilesPerSecond: med(viaBrick, 'smallPerSecond'),
      localSmallFilesPerSecond: med(viaLocal, 'smallPerSecond'),
      smallFilesRatio: med(viaBrick, 'smallPerSecond') / med(viaLocal, 'smallPerSecond'),
      gv0UnionLargeMBps: med(viaGv0, 'largeMBps'),
      gv0UnionSmallFilesPerSecond: med(viaGv0, 'smallPerSecond'),
    }
    return r
  } finally {
    await onHost('hydra', ['systemctl', 'stop', 'gfs-writecache.service']).catch(() => undefined)
    // what the agent has not published yet goes with the upper dir; the rest leaves whiteouts it applies later
    await tryOnHost('hydra', ['find', join(at.union, 'merged-b'), '-mindepth', '1', '-maxdepth', '1', '-delete'])
    await tryOnHost('hydra', ['umount', union])
    await tryOnHost('hydra', ['umount', bind])
    await tryOnHost('hydra', ['rm', '-rf', scratch, local])
    await tryOnHost('hydra', ['rmdir', bind, union])
  }
}
