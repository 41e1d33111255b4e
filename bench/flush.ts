// The agent's drain over the shaped link: large files against the link rate, small files per second, and
// the time from close to durable on both bricks. Watchers run on the bricks themselves and share the
// hosts' clock (the lab's containers run on one kernel), so the times need no clock correction.
import { join } from 'node:path'
import { dd, hostWorkload, onHost, type HostName } from './host.ts'
import type { Layout } from './layout.ts'
import { median } from './stats.ts'
import { createFiles, smallFileSize } from './small-files.ts'

export const drainFiles = 2
export const drainFileMiB = 10
export const flushSmallFiles = 1000
/** publishing small files over a 30 ms RTT is slow (gluster entry ops take several round trips each), so the
 * small-file rate is what reached plexus's brick in this window after the first one */
export const flushSmallWindowSeconds = 40
export const durableRuns = 3

interface Watch {
  first: number | null
  done: number | null
  complete?: number
  missing?: number
}

export interface FlushResult {
  linkKbit: number
  largeDrainKbit: number
  largeEfficiency: number
  smallFilesPerSecond: number
  closeToDurableSeconds: number
  detail: { drainSeconds: number; drainBytes: number; smallFiles: number; smallSeconds: number; durableRuns: number[]; settleSeconds: number }
}

/** Watches a brick dir until `count` files named PREFIXi have `size` bytes; resolves with first/done times. */
function watchBrick(host: HostName, dir: string, count: number, size: number, timeoutSeconds: number, prefix: string, windowSeconds = 0): Promise<Watch> {
  return hostWorkload<Watch>(host, ['watch', dir, count, size, timeoutSeconds, prefix, windowSeconds], (timeoutSeconds + 60) * 1000)
}

const settle = () => new Promise((r) => setTimeout(r, 500))

function span(w: Watch, what: string): number {
  if (w.first === null || w.done === null) throw new Error(`${what}: not durable in time (${w.missing ?? '?'} files missing)`)
  return (w.done - w.first) / 1000
}

/** Large files: from the first temporary file on plexus's brick to the last final name complete there. */
async function drain(at: Layout, linkKbit: number): Promise<{ seconds: number; bytes: number }> {
  const dir = join(at.union, 'drain')
  const bytes = drainFiles * drainFileMiB * 1048576
  await onHost('hydra', ['mkdir', dir])
  const watching = watchBrick('plexus', join(at.brick, 'drain'), drainFiles, drainFileMiB * 1048576, Math.ceil(((bytes * 8) / 1000 / linkKbit) * 4) + 60, 'f-')
  await settle()
  for (let i = 0; i < drainFiles; i++) await dd('hydra', join(dir, `f-${i}`), '1M', drainFileMiB)
  return { seconds: span(await watching, 'large files'), bytes }
}

/** 1,000 small files: how many were complete on plexus's brick within the window after the first appeared. */
async function smallDrain(at: Layout): Promise<{ files: number; seconds: number }> {
  const dir = join(at.union, 'flush-small')
  await onHost('hydra', ['mkdir', dir])
  const watching = watchBrick('plexus', join(at.brick, 'flush-small'), flushSmallFiles, smallFileSize, 400, 'f-', flushSmallWindowSeconds)
  await settle()
  await createFiles('hydra', dir, flushSmallFiles, { maxSeconds: 60 })
  const w = await watching
  return { files: w.complete ?? 0, seconds: span(w, 'small files') }
}

/** One file written through the union; seconds from its close until it is complete on both bricks. */
async function closeToDurable(at: Layout, run: number): Promise<number> {
  const dir = join(at.union, 'durable')
  if (run === 0) await onHost('hydra', ['mkdir', dir])
  const prefix = `c${run}-`
  const watchers = (['hydra', 'plexus'] as const).map((h) => watchBrick(h, join(at.brick, 'durable'), 1, smallFileSize, 120, prefix))
  await settle()
  const { closedAt } = await hostWorkload<{ closedAt: number }>('hydra', ['write', join(dir, `${prefix}0`), smallFileSize])
  const done = await Promise.all(watchers)
  if (done.some((w) => w.done === null)) throw new Error('close to durable: the file did not reach both bricks in 120 s')
  return (Math.max(...done.map((w) => w.done!)) - closedAt) / 1000
}

/** All flush figures; the caller has shaped the link to linkKbit and the agent is running with nothing pending.
 * Small files go last: their backlog may outlive the window and would delay anything measured after it. */
export async function flushBench(at: Layout, linkKbit: number, settleSeconds: number, log: (line: string) => void): Promise<FlushResult> {
  const durable: number[] = []
  for (let i = 0; i < durableRuns; i++) durable.push(await closeToDurable(at, i))
  log(`  close to durable: ${durable.map((d) => d.toFixed(2)).join(', ')} s`)
  const large = await drain(at, linkKbit)
  const largeDrainKbit = (large.bytes * 8) / 1000 / large.seconds
  log(`  large files: ${large.bytes} bytes in ${large.seconds.toFixed(1)} s = ${largeDrainKbit.toFixed(0)} kbit/s`)
  const small = await smallDrain(at)
  log(`  small files: ${small.files} in ${small.seconds.toFixed(1)} s`)
  return {
    linkKbit,
    largeDrainKbit,
    largeEfficiency: largeDrainKbit / linkKbit,
    smallFilesPerSecond: small.files / small.seconds,
    closeToDurableSeconds: median(durable),
    detail: { drainSeconds: large.seconds, drainBytes: large.bytes, smallFiles: small.files, smallSeconds: small.seconds, durableRuns: durable, settleSeconds },
  }
}
