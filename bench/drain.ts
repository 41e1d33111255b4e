// The drain of 4 KiB files into one directory and spread over many, with the agent's drain mounts (the
// provisioned default) and without them (publishing through gv0_mount only, 8 at a time: the agent before
// drain mounts), taking turns in one run. Rates are counted on plexus's brick, as in flush.ts.
import { join } from 'node:path'
import { dd, hostWorkload, onHost } from './host.ts'
import type { Layout } from './layout.ts'
import { createFiles, smallFileSize } from './small-files.ts'

export const drainSameDirFiles = 1000
export const drainManyDirs = 20
export const drainFilesPerDir = 50
/** the slow variant does not finish in any reasonable time: its rate is what arrived within this window */
export const drainWindowSeconds = 40

const configFile = '/etc/gfs-writecache/config.json'

export interface DrainVariant {
  name: string
  /** agent config keys set for this variant (none: as provisioned) */
  config: Record<string, number>
  sameDirPerSecond: number
  manyDirsPerSecond: number
  /** two 10 MiB files: kbit/s from the first byte to the last on plexus's brick */
  largeKbit: number
  detail: { sameDir: Rate; manyDirs: Rate; large: Rate }
}

interface Rate {
  files: number
  seconds: number
}

interface Watch {
  first: number | null
  done: number | null
  complete?: number
  missing?: number
}

export const drainVariants: { name: string; config: Record<string, number> }[] = [
  { name: 'drain mounts (default)', config: {} },
  { name: 'gv0_mount only, 8 in flight (before drain mounts)', config: { drainMounts: 0, publishConcurrency: 8 } },
]

/** Rewrites hydra's agent config with `set` over what provisioning wrote, restarts the agent, waits for its mounts. */
async function agentWith(original: string, set: Record<string, number>): Promise<void> {
  const cfg = { ...(JSON.parse(original) as Record<string, unknown>), ...set }
  await onHost('hydra', ['sh', '-c', `cat > ${configFile} && systemctl restart gfs-writecache.service`], { input: JSON.stringify(cfg, null, 2) + '\n' })
  const wanted = (set.drainMounts ?? (cfg.drainMounts as number | undefined)) ?? 0
  for (let i = 0; i < 60; i++) {
    const out = await onHost('hydra', ['gfs-writecache', 'status', '--json']).catch(() => '')
    const s = out ? (JSON.parse(out) as { running: boolean; drainMounts?: { usable: number } }) : null
    if (s?.running && (wanted === 0 || s.drainMounts?.usable === wanted)) return
    await new Promise((r) => setTimeout(r, 500))
  }
  throw new Error(`hydra's agent did not come up with ${wanted} drain mounts`)
}

function rate(w: Watch, what: string): Rate {
  if (w.first === null || w.done === null) throw new Error(`${what}: nothing arrived in time (${w.missing ?? '?'} files missing)`)
  return { files: w.complete ?? 0, seconds: (w.done - w.first) / 1000 }
}

async function sameDir(at: Layout, tag: string): Promise<Rate> {
  const name = `drain-${tag}-same`
  await onHost('hydra', ['mkdir', join(at.union, name)])
  const watching = hostWorkload<Watch>('plexus', ['watch', join(at.brick, name), drainSameDirFiles, smallFileSize, 600, 'f-', drainWindowSeconds], 700_000)
  await new Promise((r) => setTimeout(r, 500))
  await createFiles('hydra', join(at.union, name), drainSameDirFiles, { maxSeconds: 60 })
  return rate(await watching, `${name}`)
}

async function manyDirs(at: Layout, tag: string): Promise<Rate> {
  const name = `drain-${tag}-many`
  const watching = hostWorkload<Watch>('plexus', ['watchtree', join(at.brick, name), drainManyDirs, drainFilesPerDir, smallFileSize, 600, 'f-', drainWindowSeconds], 700_000)
  await new Promise((r) => setTimeout(r, 500))
  await hostWorkload('hydra', ['filestree', join(at.union, name), drainManyDirs, drainFilesPerDir, smallFileSize, 'f-'])
  return rate(await watching, `${name}`)
}

/** Two 10 MiB files, as flush.ts drains them: the large-file rate of this variant. */
async function large(at: Layout, tag: string): Promise<Rate> {
  const name = `drain-${tag}-large`
  const bytes = 10 * 1048576
  await onHost('hydra', ['mkdir', join(at.union, name)])
  const watching = hostWorkload<Watch>('plexus', ['watch', join(at.brick, name), 2, bytes, 300, 'f-'], 400_000)
  await new Promise((r) => setTimeout(r, 500))
  for (let i = 0; i < 2; i++) await dd('hydra', join(at.union, name, `f-${i}`), '1M', 10)
  return rate(await watching, name)
}

/** Waits until hydra's agent has nothing left to publish (a slow variant leaves a backlog behind its window). */
async function drained(): Promise<void> {
  await onHost('hydra', ['gfs-writecache', 'flush', '--wait', '--timeout', '900'], { timeoutMs: 960_000 })
}

/**
 * Every variant, same dir then many dirs, the agent drained between steps (the fast variant drains the slow
 * one's backlog); hydra's agent config is restored at the end. The link is shaped by the caller.
 */
export async function drainBench(at: Layout, log: (line: string) => void): Promise<DrainVariant[]> {
  const original = await onHost('hydra', ['cat', configFile])
  const out: DrainVariant[] = []
  try {
    for (const [i, v] of drainVariants.entries()) {
      await agentWith(original, v.config)
      await drained()
      const big = await large(at, `v${i}`)
      log(`  ${v.name}: large ${((big.files * 10 * 1048576 * 8) / 1000 / big.seconds).toFixed(0)} kbit/s`)
      await drained()
      const same = await sameDir(at, `v${i}`)
      log(`  ${v.name}: same dir ${same.files} in ${same.seconds.toFixed(1)} s`)
      if (i > 0) await agentWith(original, drainVariants[0].config)
      await drained()
      if (i > 0) await agentWith(original, v.config)
      const many = await manyDirs(at, `v${i}`)
      log(`  ${v.name}: ${drainManyDirs} dirs ${many.files} in ${many.seconds.toFixed(1)} s`)
      const largeKbit = (big.files * 10 * 1048576 * 8) / 1000 / big.seconds
      out.push({ name: v.name, config: v.config, sameDirPerSecond: same.files / same.seconds, manyDirsPerSecond: many.files / many.seconds, largeKbit, detail: { sameDir: same, manyDirs: many, large: big } })
    }
  } finally {
    await agentWith(original, {})
    await drained().catch((e: Error) => log(`  backlog not drained: ${e.message}`))
  }
  return out
}
