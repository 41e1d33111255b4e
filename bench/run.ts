// npm run bench (as root): the appliance measured side by side with what a user would otherwise use, on the
// lab instance GFS_LAB_INSTANCE selects (0 when unset). Writes bench/results.json, prints a table and puts it
// into the README's Benchmarks section. Reports goals; never fails on them.
//   --reuse-lab      keep a lab that is up and provisioned (no cold provisioning figure: the run is partial)
//   --skip a,b       leave out phases (provision, writes, unionfs, flush, drain, uplink, agent, ansible); also makes the run partial
// A partial run prints its table and writes bench/results.partial.json, leaving results.json and README alone.
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import * as lab from '../src/lab/api.ts'
import { loadInventory } from '../src/inventory/load.ts'
import { idleCpu, scanBench, type IdleCpu, type ScanResult } from './agent.ts'
import { flushBench, type FlushResult } from './flush.ts'
import { drainBench, drainFilesPerDir, drainManyDirs, drainSameDirFiles, drainWindowSeconds, type DrainVariant } from './drain.ts'
import { onHost, tryOnHost } from './host.ts'
import { layoutFor, type Layout } from './layout.ts'
import { mergedDirVariants, type MergedDirVariant } from './merged-dir.ts'
import { cliRunSeconds, siteRun, type SiteRun } from './provision.ts'
import { ansibleRace, type AnsibleRace } from './ansible-race.ts'
import { goal, machine, markdownTable, resultsPath, rounded, textTable, updateReadme, writeResults, type Results, type Row } from './report.ts'
import { seedTable, type SeedResult } from './seed.ts'
import { smallFiles, type SmallFilesResult } from './small-files.ts'
import { benchmarkNotes } from './notes.ts'
import { round } from './stats.ts'
import { unionfsFuse, type UnionfsFuseResult } from './unionfs-fuse.ts'
import { unionVsLocal, type UnionVsLocal } from './union-vs-local.ts'
import { largeFileRuns } from './write-targets.ts'
import { chartPath, writeChart, type ChartInput } from './chart.ts'
import { recordDrain, type DrainSample } from './drain-progress.ts'
import { uplinkBench, uplinkFigures, uplinkRows, type UplinkResult } from './uplink.ts'
import { backlogFiles, brickLowerBench, createCount, largeMiB, readRounds, type BrickLowerResult } from './brick-lower.ts'
import { remoteVisibilityBench, visibilityWaitSeconds, type VisibilityResult } from './remote-visibility.ts'

const seedLink = { kbit: 2500, rttMs: 30 }
const flushLink = { kbit: 10000, rttMs: 30 }
const idleSeconds = 30
const chartImage = '![4 KiB files per second into gv0, the union and its peers on a log scale; the drain into gv0 over time](bench/results.svg)'
const scanEntries = 100_000

const args = process.argv.slice(2)
const reuseLab = args.includes('--reuse-lab')
const skipIndex = args.indexOf('--skip')
const skip = new Set(skipIndex >= 0 ? (args[skipIndex + 1] ?? '').split(',') : [])
const log = (line: string) => process.stdout.write(`${line}\n`)
const f = (x: number, digits = 3) => String(round(x, digits))

interface Measured {
  cold?: SiteRun
  upSeconds?: number
  rerun?: SiteRun
  rerunCliSeconds?: number
  seed?: SeedResult
  small?: SmallFilesResult
  variants?: MergedDirVariant[]
  vsLocal?: UnionVsLocal
  unionfs?: UnionfsFuseResult
  flush?: FlushResult
  drainProgress?: DrainSample[]
  uplink?: UplinkResult
  drain?: DrainVariant[]
  idle?: IdleCpu
  scan?: ScanResult
  race?: AnsibleRace
  brick?: BrickLowerResult
  visibility?: VisibilityResult
}

/** Down, up --flavor ready and the site playbook: the cold figure; or reuse a lab that is already up. */
async function prepareLab(status: lab.LabStatus, m: Measured): Promise<void> {
  if (reuseLab && status.up) {
    log(`lab ${lab.instance} is up: reusing it`)
    return
  }
  log(`lab ${lab.instance}: down, then up --flavor ready`)
  await lab.down({ log: (l) => log(`  ${l}`) })
  const t0 = performance.now()
  await lab.up({ flavor: 'ready', log: (l) => log(`  ${l}`) })
  m.upSeconds = (performance.now() - t0) / 1000
  log('site playbook, cold')
  m.cold = await siteRun(lab.inventoryPath)
  log(`  ${f(m.cold.seconds)} s, ${m.cold.changed} changed, ${m.cold.roundTrips} round trips`)
}

/** The no-change re-run, in process (engine time, round trips) and through the CLI (what a user waits for). */
async function rerun(m: Measured): Promise<void> {
  log('site playbook, no-change re-run')
  m.rerun = await siteRun(lab.inventoryPath)
  m.rerunCliSeconds = await cliRunSeconds(lab.inventoryPath)
  log(`  ${f(m.rerun.seconds)} s (CLI ${f(m.rerunCliSeconds)} s), ${m.rerun.changed} changed, ${m.rerun.roundTrips} round trips`)
}

/** Everything written by the application side, with hydra's agent stopped so that no flush competes for the link. */
async function writes(at: Layout, m: Measured): Promise<void> {
  await lab.shape(seedLink.kbit, { rttMs: seedLink.rttMs })
  await onHost('hydra', ['systemctl', 'stop', 'gfs-writecache.service'])
  try {
    if (!skip.has('agent')) log(`plexus's agent idle for ${idleSeconds} s, measured meanwhile`)
    const idle = skip.has('agent') ? undefined : idleCpu('plexus', idleSeconds)
    await onHost('hydra', ['mkdir', '-p', at.gv0, at.local])
    log(`seed table at ${seedLink.kbit} kbit, ${seedLink.rttMs} ms RTT`)
    m.seed = await seedTable(at)
    log(`  gv0 1K blocks ${f(m.seed.gv0SmallBlocksKBps)} kB/s, union 1K blocks ${f(m.seed.unionSmallBlocksMBps)} MB/s, union 1M blocks ${f(m.seed.unionLargeBlocksMBps)} MB/s`)
    log('small files')
    m.small = await smallFiles(at)
    log(`  gv0 ${f(m.small.gv0PerSecond)}/s, union new dir ${f(m.small.unionNewDirPerSecond)}/s, union merged dir ${f(m.small.unionMergedDirPerSecond)}/s`)
    log('merged dir variants')
    m.variants = await mergedDirVariants(at, `${at.union}/merged`, log)
    if (idle) m.idle = await idle
    if (!skip.has('brick')) {
      log('union_lower brick: a test overlay on hydra\'s brick, beside the appliance\'s union')
      // the agent drains a backlog into one directory there: without the thousands of files above pending first
      await dropUnionWrites(at)
      m.brick = await brickLowerBench(at, at.brick.slice(0, -at.name.length - 1), log)
    }
    if (!skip.has('visibility')) {
      log("plexus's changes seen through hydra's union: on gv0 and on the brick, side by side")
      m.visibility = await remoteVisibilityBench(at, at.brick.slice(0, -at.name.length - 1), log)
    }
    log('union against the local disk under it')
    m.vsLocal = await unionVsLocal(at)
    log(`  large ${f(m.vsLocal.largeRatio)}, small files ${f(m.vsLocal.smallFilesRatio)}`)
    if (!skip.has('unionfs')) {
      log('unionfs-fuse over the same gv0')
      try {
        m.unionfs = await unionfsFuse(at, { smallMaxSeconds: 10 })
        log(`  large ${f(m.unionfs.result.largeBps / 1e6)} MB/s, small files ${f(m.unionfs.result.smallFilesPerSecond)}/s`)
      } catch (error) {
        log(`  failed, left out: ${(error as Error).message}`)
      }
    }
  } finally {
    await dropUnionWrites(at)
    await tryOnHost('hydra', ['rm', '-rf', at.local])
    await onHost('hydra', ['systemctl', 'start', 'gfs-writecache.service'])
  }
}

/**
 * Removes what the writes above left in the union and hydra's stopped agent has not published: only names
 * that exist in the upper dir alone, so no whiteout is left for the agent.
 */
async function dropUnionWrites(at: Layout): Promise<void> {
  await tryOnHost('hydra', ['rm', '-rf', `${at.union}/seed-union`, `${at.union}/new-0`, `${at.union}/new-1`, `${at.union}/new-2`, `${at.union}/vs-local`, `${at.union}/vs-unionfs`])
  await tryOnHost('hydra', ['find', `${at.union}/merged`, '-mindepth', '1', '-maxdepth', '1', '-delete'])
}

/** The agent's drain at the flush link rate, after it has published what the writes phase left. */
async function flush(at: Layout, settleSeconds: number, m: Measured): Promise<void> {
  await lab.shape(flushLink.kbit, { rttMs: flushLink.rttMs })
  await onHost('hydra', ['mkdir', '-p', at.union])
  await onHost('hydra', ['gfs-writecache', 'flush', '--wait', '--timeout', '300'], { timeoutMs: 330_000 })
  log(`flush at ${flushLink.kbit} kbit, ${flushLink.rttMs} ms RTT`)
  const recorded = await recordDrain('hydra', () => flushBench(at, flushLink.kbit, settleSeconds, log))
  m.flush = recorded.result
  m.drainProgress = recorded.samples
  log(`  large ${f(m.flush.largeDrainKbit)} kbit/s (${f(m.flush.largeEfficiency)} of the link), small ${f(m.flush.smallFilesPerSecond)}/s, close to durable ${f(m.flush.closeToDurableSeconds)} s`)
  if (!skip.has('drain')) m.drain = await drainBench(at, log)
}

function complete(m: Measured): m is Required<Omit<Measured, 'variants' | 'upSeconds' | 'rerunCliSeconds'>> & Measured {
  return Boolean(m.cold && m.rerun && m.seed && m.small && m.vsLocal && m.unionfs && m.flush && m.drain && m.uplink && m.idle && m.scan && m.race)
}

/** Keys of T whose values are numbers. */
type NumberKeys<T> = { [K in keyof T]-?: T[K] extends number ? K : never }[keyof T]

/** The named figures of one phase's result, in the order given; NaN each when the phase did not run. */
function figures<T, K extends NumberKeys<T>>(measured: T | undefined, keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, (measured?.[k] as number | undefined) ?? NaN])) as Record<K, number>
}

/** The results with what only the chart reads: absolute write rates and the drain over time. */
function chartResults(m: Measured, date: string): ChartInput {
  const local = m.vsLocal?.local.smallFilesPerSecond
  const unionfs = m.unionfs?.result.smallFilesPerSecond
  return {
    ...results(m, date),
    ...(local !== undefined && unionfs !== undefined ? { writeRates: { localDiskPerSecond: local, unionfsFusePerSecond: unionfs } } : {}),
    ...(m.drainProgress ? { drainProgress: m.drainProgress } : {}),
  }
}

/** The fixed-format results; fields not measured in a partial run are NaN. */
function results(m: Measured, date: string): Results {
  const u = m.unionfs?.union
  const ufs = m.unionfs?.result
  return {
    machine: machine(),
    date,
    seed: {
      linkKbit: seedLink.kbit,
      rttMs: seedLink.rttMs,
      ...figures(m.seed, ['gv0SmallBlocksKBps', 'unionSmallBlocksMBps', 'unionLargeBlocksMBps', 'speedup']),
    },
    smallFiles: {
      ...figures(m.small, ['gv0PerSecond', 'unionNewDirPerSecond', 'unionMergedDirPerSecond']),
      ...figures(m.brick, ['unionMergedDirBrickLowerPerSecond', 'unionMergedDirWhileDrainingPerSecond', 'unionMergedDirBrickLowerWhileDrainingPerSecond']),
    },
    reads: figures(m.brick, ['unionLargeMBps', 'localLargeMBps', 'largeRatio', 'unionSmallFilesPerSecond', 'localSmallFilesPerSecond', 'smallFilesRatio']),
    unionVsLocal: figures(m.vsLocal, ['largeRatio', 'smallFilesRatio']),
    unionVsUnionfsFuse: {
      largeRatio: u && ufs ? u.largeBps / ufs.largeBps : NaN,
      smallFilesRatio: u && ufs ? u.smallFilesPerSecond / ufs.smallFilesPerSecond : NaN,
    },
    flush: {
      linkKbit: flushLink.kbit,
      ...figures(m.flush, ['largeDrainKbit', 'largeEfficiency', 'smallFilesPerSecond', 'closeToDurableSeconds']),
      smallFilesSameDirPerSecond: m.drain?.[0]?.sameDirPerSecond ?? NaN,
      smallFilesManyDirsPerSecond: m.drain?.[0]?.manyDirsPerSecond ?? NaN,
    },
    provision: {
      coldSeconds: m.cold?.seconds ?? NaN,
      rerunSeconds: m.rerun?.seconds ?? NaN,
      rerunChanged: m.rerun?.changed ?? NaN,
      rerunRoundTrips: m.rerun?.roundTrips ?? NaN,
      ansibleColdSeconds: m.race?.ansibleColdSeconds ?? NaN,
      ansibleRerunSeconds: m.race?.ansibleRerunSeconds ?? NaN,
      rerunVsAnsible: m.race?.rerunVsAnsible ?? NaN,
    },
    uplink: uplinkFigures(m.uplink),
    agent: { idleCpuPercent: m.idle?.percent ?? NaN, entries: m.scan?.entries ?? NaN, scanSeconds: m.scan?.scanSeconds ?? NaN, peakRssMB: m.scan?.peakRssMB ?? NaN },
  }
}

/** Where a drain figure comes from: files written, how many arrived on plexus's brick, over how long. */
function drainNote(v: DrainVariant | undefined, which: 'sameDir' | 'manyDirs', written: string): string {
  if (!v) return ''
  const d = v.detail[which]
  return `${written} written; ${d.files} complete on plexus's brick in ${f(d.seconds)} s (window ${drainWindowSeconds} s); taking turns with the other variant; one run`
}

/** The table: every figure of results.json, plus the figures behind the ratios and the merged-dir variants. */
function rows(r: Results, m: Measured): Row[] {
  const med3 = 'median of 3'
  const out: Row[] = [
    { section: 'seed', measure: 'dd bs=1K count=1024 into /gfs/gv0', value: `${f(r.seed.gv0SmallBlocksKBps)} kB/s`, note: `${r.seed.linkKbit} kbit, ${r.seed.rttMs} ms RTT; conv=fsync; ${med3}` },
    { section: 'seed', measure: 'dd bs=1K count=1024 into /gfs/union', value: `${f(r.seed.unionSmallBlocksMBps)} MB/s`, note: `conv=fsync; ${med3}` },
    { section: 'seed', measure: 'dd bs=1M count=10 into /gfs/union', value: `${f(r.seed.unionLargeBlocksMBps)} MB/s`, note: `conv=fsync; ${med3}` },
    { section: 'seed', measure: 'speedup (union 1K blocks / gv0 1K blocks)', value: `${f(r.seed.speedup)}x`, note: goal(r.seed.speedup >= 500, 'at least 500') },
    { section: 'small files', measure: '4 KiB files directly in gv0', value: `${f(r.smallFiles.gv0PerSecond)}/s`, note: `one writer; ${med3}` },
    { section: 'small files', measure: 'through the union, new dir', value: `${f(r.smallFiles.unionNewDirPerSecond)}/s`, note: med3 },
    { section: 'small files', measure: 'through the union, merged dir', value: `${f(r.smallFiles.unionMergedDirPerSecond)}/s`, note: `a gluster lookup per new name; ${med3}` },
  ]
  for (const v of m.variants ?? []) {
    const x = v.perSecond / r.smallFiles.unionMergedDirPerSecond
    out.push({ section: 'merged dir', measure: v.name, value: `${f(v.perSecond)}/s`, note: `${f(x, 2)}x the merged-dir figure${x >= 1.5 ? ' (helps)' : ' (no real change)'}; ${med3}` })
  }
  const b = m.brick
  // issue 14: creates in a directory gv0 has, against a new directory of the union
  const vsNewDir = (perSecond: number) => goal(perSecond >= 0.8 * r.smallFiles.unionNewDirPerSecond, 'at least 0.8 of the new-dir figure')
  out.push(
    { section: 'union lower', measure: 'merged dir, union on the brick (union_lower brick)', value: `${f(r.smallFiles.unionMergedDirBrickLowerPerSecond)}/s`, note: `${vsNewDir(r.smallFiles.unionMergedDirBrickLowerPerSecond)}; test overlay on a read-only bind of hydra's brick, ${createCount} files per run as the new-dir figure; a new dir of that overlay ${b ? f(b.unionNewDirBrickLowerPerSecond) : '?'}/s, taking turns; ${med3}` },
    { section: 'union lower', measure: 'merged dir, union on the brick, agent draining into it', value: `${f(r.smallFiles.unionMergedDirBrickLowerWhileDrainingPerSecond)}/s`, note: `${vsNewDir(r.smallFiles.unionMergedDirBrickLowerWhileDrainingPerSecond)}; the same overlay while hydra's agent publishes ${backlogFiles} pending files into that dir; ${med3}` },
    { section: 'union lower', measure: 'merged dir, union on gv0, agent draining into it', value: `${f(r.smallFiles.unionMergedDirWhileDrainingPerSecond)}/s`, note: `${vsNewDir(r.smallFiles.unionMergedDirWhileDrainingPerSecond)}; union_lower gv0 (the default), each new name a lookup in gv0 behind the agent's publishes; same backlog, right after; ${med3}` },
    { section: 'reads', measure: `${largeMiB} MiB file, cold: union on the brick / local`, value: f(r.reads.largeRatio), note: `${goal(r.reads.largeRatio >= 0.8, 'at least 0.8')}; ${f(r.reads.unionLargeMBps)} vs ${f(r.reads.localLargeMBps)} MB/s; union on gv0 ${b ? f(b.gv0UnionLargeMBps) : '?'} MB/s; median of ${readRounds}, taking turns` },
    { section: 'reads', measure: '300 4 KiB files, cold: union on the brick / local', value: f(r.reads.smallFilesRatio), note: `${goal(r.reads.smallFilesRatio >= 0.8, 'at least 0.8')}; ${f(r.reads.unionSmallFilesPerSecond)} vs ${f(r.reads.localSmallFilesPerSecond)}/s; union on gv0 ${b ? f(b.gv0UnionSmallFilesPerSecond) : '?'}/s; median of ${readRounds}, taking turns` },
  )
  const v = m.visibility
  if (v) {
    const s = (x: number) => `${f(x, 2)} s`
    out.push(
      { section: 'union lower', measure: "plexus's change seen through hydra's union, on gv0", value: v.gv0ReplacedSeconds >= visibilityWaitSeconds ? `over ${visibilityWaitSeconds} s` : s(v.gv0ReplacedSeconds), note: `replaced file (a test overlay on /gfs/gv0; the union itself sits on its own read-only client, README's Known limits); appended ${s(v.gv0AppendedSeconds)}, new name ${s(v.gv0NewNameSeconds)}; first look after ${s(v.firstCheckSeconds)}; median of 3; every agent's dentry drop on this machine counts` },
      { section: 'union lower', measure: "plexus's change seen through hydra's union, on the brick", value: s(v.brickReplacedSeconds), note: `replaced file; appended ${s(v.brickAppendedSeconds)}, new name ${s(v.brickNewNameSeconds)}; same trials` },
      { section: 'union lower', measure: `a dentry drop with ${v.dropTreeEntries} entries cached`, value: s(v.dropSeconds), note: `walking them through the union on the brick: ${s(v.walkWarmSeconds)} warm, ${s(v.walkAfterDropSeconds)} after the drop; median of 3` },
    )
  }
  const lu = m.vsLocal
  const ufs = m.unionfs?.result
  out.push(
    { section: 'vs local', measure: `100 MiB file: union / local /data`, value: f(r.unionVsLocal.largeRatio), note: `${goal(r.unionVsLocal.largeRatio >= 0.9, 'at least 0.9')}; ${lu ? `${f(lu.union.largeBps / 1e6)} vs ${f(lu.local.largeBps / 1e6)} MB/s` : ''}, dd bs=1M conv=fsync, taking turns (first one, then the other), median of ${largeFileRuns}` },
    { section: 'vs local', measure: `10,000 4 KiB files: union / local`, value: f(r.unionVsLocal.smallFilesRatio), note: `${goal(r.unionVsLocal.smallFilesRatio >= 0.9, 'at least 0.9')}; ${lu ? `${f(lu.union.smallFilesPerSecond)} vs ${f(lu.local.smallFilesPerSecond)}/s` : ''}, new dirs, taking turns (first one, then the other), ${med3}` },
    { section: 'vs unionfs-fuse', measure: '100 MiB file: union / unionfs-fuse', value: f(r.unionVsUnionfsFuse.largeRatio), note: `${ufs && m.unionfs ? `${f(m.unionfs.union.largeBps / 1e6)} vs ${f(ufs.largeBps / 1e6)} MB/s` : ''}; taking turns; median of ${largeFileRuns}` },
    { section: 'vs unionfs-fuse', measure: '4 KiB files: union / unionfs-fuse', value: f(r.unionVsUnionfsFuse.smallFilesRatio), note: `${goal(r.unionVsUnionfsFuse.smallFilesRatio >= 2, 'at least 2')}; ${ufs && m.unionfs ? `${f(m.unionfs.union.smallFilesPerSecond)} vs ${f(ufs.smallFilesPerSecond)}/s` : ''} (unionfs-fuse -o cow, new dir, at the seed link, runs capped at 10 s); ${med3}` },
    { section: 'flush', measure: `large files drained (${m.flush ? `${m.flush.detail.drainBytes / 1048576} MiB` : ''})`, value: `${f(r.flush.largeDrainKbit)} kbit/s`, note: `link ${r.flush.linkKbit} kbit, ${flushLink.rttMs} ms RTT; first byte to last on plexus's brick; one run` },
    { section: 'flush', measure: 'large-file efficiency', value: f(r.flush.largeEfficiency), note: goal(r.flush.largeEfficiency >= 0.9, 'at least 0.9 of the link') },
    { section: 'flush', measure: '4 KiB files published', value: `${f(r.flush.smallFilesPerSecond)}/s`, note: `1,000 written; ${m.flush?.detail.smallFiles ?? '?'} complete on plexus's brick in the first ${m.flush ? f(m.flush.detail.smallSeconds) : '?'} s of publishing; one run` },
    { section: 'flush', measure: '4 KiB files drained into one directory', value: `${f(r.flush.smallFilesSameDirPerSecond)}/s`, note: `${goal(r.flush.smallFilesSameDirPerSecond >= 100, 'at least 100/s')}; ${drainNote(m.drain?.[0], 'sameDir', `${drainSameDirFiles}`)}` },
    { section: 'flush', measure: `4 KiB files drained into ${drainManyDirs} directories`, value: `${f(r.flush.smallFilesManyDirsPerSecond)}/s`, note: `${goal(r.flush.smallFilesManyDirsPerSecond >= 150, 'at least 150/s')}; ${drainNote(m.drain?.[0], 'manyDirs', `${drainManyDirs} x ${drainFilesPerDir}`)}` },
    ...(m.drain ?? []).slice(1).flatMap((v) => [
      { section: 'drain', measure: `${v.name}: one directory`, value: `${f(v.sameDirPerSecond)}/s`, note: `${f(v.sameDirPerSecond / r.flush.smallFilesSameDirPerSecond, 2)}x the default; ${drainNote(v, 'sameDir', `${drainSameDirFiles}`)}` },
      { section: 'drain', measure: `${v.name}: ${drainManyDirs} directories`, value: `${f(v.manyDirsPerSecond)}/s`, note: `${f(v.manyDirsPerSecond / r.flush.smallFilesManyDirsPerSecond, 2)}x the default; ${drainNote(v, 'manyDirs', `${drainManyDirs} x ${drainFilesPerDir}`)}` },
    ]),
    ...(m.drain ?? []).map((v) => ({ section: 'drain', measure: `${v.name}: 2 x 10 MiB`, value: `${f(v.largeKbit)} kbit/s`, note: `${f(v.largeKbit / flushLink.kbit, 3)} of the link; first byte to last on plexus's brick; taking turns; one run` })),
    { section: 'flush', measure: 'close to durable on both bricks', value: `${f(r.flush.closeToDurableSeconds)} s`, note: `4 KiB file; includes the ${m.flush?.detail.settleSeconds ?? '?'} s settle time; ${med3}` },
    ...uplinkRows(r.uplink, m.uplink, f, goal),
    { section: 'provision', measure: 'site, cold (fresh lab, flavor ready)', value: `${f(r.provision.coldSeconds)} s`, note: m.cold ? `${m.cold.changed} changed, ${m.cold.roundTrips} SSH round trips` : '' },
    { section: 'provision', measure: 'site, no-change re-run', value: `${f(r.provision.rerunSeconds)} s`, note: `${goal(r.provision.rerunSeconds < 5, 'under 5 s for both hosts')}; CLI wall time ${m.rerunCliSeconds === undefined ? '?' : f(m.rerunCliSeconds)} s` },
    { section: 'provision', measure: 're-run: changed / SSH round trips', value: `${r.provision.rerunChanged} / ${r.provision.rerunRoundTrips}`, note: 'both hosts together' },
    { section: 'vs Ansible', measure: 'bench/ansible/site.yml cold / no-change re-run', value: `${f(r.provision.ansibleColdSeconds)} / ${f(r.provision.ansibleRerunSeconds)} s`, note: `ansible-playbook from the shell, pipelining, fresh lab (flavor ready); re-run median of 5${m.race ? `; ours from the shell ${f(m.race.oursColdSeconds)} / ${f(m.race.oursRerunSeconds)} s` : ''}` },
    { section: 'vs Ansible', measure: 'no-change re-run: ours / Ansible', value: f(r.provision.rerunVsAnsible), note: goal(r.provision.rerunVsAnsible <= 0.2, 'at most 0.2') },
    { section: 'agent', measure: 'CPU at idle', value: `${f(r.agent.idleCpuPercent)} %`, note: `of one core, plexus's agent over ${idleSeconds} s, /proc/PID/stat` },
    { section: 'agent', measure: `scan of ${r.agent.entries} pending entries`, value: `${f(r.agent.scanSeconds)} s`, note: `start-up scan, fresh process; ${med3}` },
    { section: 'agent', measure: 'peak RSS during the scan', value: `${f(r.agent.peakRssMB)} MB`, note: m.scan ? `whole process; ${f(m.scan.baselineRssMB)} MB before the scan` : '' },
  )
  return out
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    process.stderr.write('npm run bench boots the container lab and must run as root\n')
    return 1
  }
  const date = new Date().toISOString()
  const m: Measured = {}
  const status = await lab.status()
  const before = status.state?.shape
  if (!skip.has('provision')) {
    await prepareLab(status, m)
    await rerun(m)
  } else if (!status.up) throw new Error(`lab ${lab.instance} is not up`)
  const inventory = await loadInventory(lab.inventoryPath)
  const hydra = inventory.hosts.find((h) => h.name === 'hydra')
  if (!hydra) throw new Error(`${lab.inventoryPath} has no host hydra`)
  const at = layoutFor(hydra.settings, date.replace(/[-:]/g, '').replace(/\..*/, ''))
  try {
    if (!skip.has('writes')) await writes(at, m)
    if (!skip.has('flush')) await flush(at, hydra.settings.flush.settleSeconds, m).catch((error: Error) => log(`  flush failed, left out: ${error.message}`))
    if (!skip.has('uplink')) m.uplink = await uplinkBench(at, log).catch((error: Error) => (log(`  uplink failed, left out: ${error.message}`), undefined))
  } finally {
    if (before) await lab.shape(before.rateKbit, { rttMs: before.rttMs }).catch(() => {})
  }
  if (!skip.has('agent')) {
    log(`agent scan of ${scanEntries} entries (here, on a local overlay)`)
    m.scan = await scanBench(scanEntries)
  }
  if (!skip.has('ansible')) {
    log('the race against Ansible (last: it boots the lab twice)')
    m.race = await ansibleRace(log)
  }
  const r = chartResults(m, date)
  const table = rows(r, m)
  log('')
  log(textTable(table))
  if (complete(m)) {
    writeResults(r)
    const readmeRows = markdownTable(rows(rounded(r), m))
    updateReadme(
      [
        `\`npm run bench\` (as root) on ${r.machine}, ${r.date.slice(0, 10)}. Every ratio compares two figures measured in the same run; bench/results.json holds the figures.`,
        '',
        chartImage,
        '',
        readmeRows,
        '',
        benchmarkNotes(m.drain),
      ].join('\n'),
    )
    await writeChart(resultsPath, chartPath)
    log(`\nwrote ${resultsPath}, ${chartPath} and the README's Benchmarks section`)
  } else {
    const partial = fileURLToPath(new URL('./results.partial.json', import.meta.url))
    writeFileSync(partial, JSON.stringify({ ...rounded(r), variants: m.variants }, null, 2) + '\n')
    const svg = await writeChart(partial)
    log(`\npartial run: wrote ${partial} and ${svg}; results.json, results.svg and the README are unchanged`)
  }
  return 0
}

process.exitCode = await main()
