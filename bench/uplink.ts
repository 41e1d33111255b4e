// The upload limit on the shaped link: the drain held to 2 Mbit/s out of 10, and what a drain does to the
// round trip of everything else on the uplink (ping hydra -> plexus over the WAN), idle, unlimited, limited.
import { join } from 'node:path'
import * as lab from '../src/lab/api.ts'
import { onHost, type HostName } from './host.ts'
import type { Layout } from './layout.ts'
import type { Row } from './report.ts'
import { round } from './stats.ts'

export const uplinkLink = { kbit: 10000, rttMs: 30 }
export const uplinkLimitKbit = 2000
/** the limited drain is measured over this window, after the copy has run for a few seconds */
const windowSeconds = 20
const pingCount = 30

export interface UplinkResult {
  limitKbit: number
  drainKbit: number
  pingRttMsIdle: number
  pingRttMsDrainUnlimited: number
  pingRttMsDrainLimited: number
  detail: { unlimitedDrainKbit: number; windowSeconds: number }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Average RTT of pings from hydra to plexus's WAN address, one every `intervalS`. */
async function pingRtt(intervalS: number): Promise<number> {
  const out = await onHost('hydra', ['ping', '-n', '-q', '-c', String(pingCount), '-i', String(intervalS), 'plexus'], { timeoutMs: 120_000 })
  const m = /= [\d.]+\/([\d.]+)\//.exec(out)
  if (!m) throw new Error(`cannot read ping's summary: ${out.trim()}`)
  return Number(m[1])
}

/** Bytes under a directory of plexus's brick: what crossed the WAN into it, temporaries included. */
async function bytesOnPlexus(dir: string): Promise<number> {
  const out = await onHost('plexus', ['sh', '-c', `find "$1" -type f -printf '%s\\n' 2>/dev/null | awk '{s+=$1} END {print s+0}'`, 'sh', dir])
  return Number(out.trim())
}

async function agent(host: HostName, ...args: string[]): Promise<string> {
  return await onHost(host, ['gfs-writecache', ...args], { timeoutMs: 700_000 })
}

/** Writes `bytes` of random data into a new union dir and waits for its copy to reach plexus. */
async function startDrain(at: Layout, name: string, bytes: number): Promise<string> {
  const dir = join(at.union, name)
  // the run's directory exists already when the writes phase ran
  await onHost('hydra', ['mkdir', '-p', dir])
  await agent('hydra', 'flush', '--now', '--wait', '--timeout', '120')
  await onHost('hydra', ['sh', '-c', `head -c ${bytes} /dev/urandom > "$1/f.bin"`, 'sh', dir])
  const brickDir = join(at.brick, name)
  const deadline = Date.now() + 120_000
  while ((await bytesOnPlexus(brickDir)) === 0) {
    if (Date.now() > deadline) throw new Error(`${name}: no copy reached plexus in 120 s`)
    await sleep(250)
  }
  await sleep(3000)
  return brickDir
}

/** kbit/s into a brick dir over the window, while `during` runs. */
async function measure(brickDir: string, during: Promise<number>): Promise<{ kbit: number; rtt: number }> {
  const b0 = await bytesOnPlexus(brickDir)
  const t0 = performance.now()
  const rtt = await during
  const kbit = (((await bytesOnPlexus(brickDir)) - b0) * 8) / 1000 / ((performance.now() - t0) / 1000)
  return { kbit, rtt }
}

export async function uplinkBench(at: Layout, log: (line: string) => void): Promise<UplinkResult> {
  await lab.shape(uplinkLink.kbit, { rttMs: uplinkLink.rttMs })
  await agent('hydra', 'limit', 'off')
  try {
    await agent('hydra', 'flush', '--wait', '--timeout', '600')
    const idle = await pingRtt(0.2)
    log(`  idle ping ${round(idle)} ms`)
    const unlimitedDir = await startDrain(at, 'uplink-unlimited', 30_000_000)
    const unlimited = await measure(unlimitedDir, pingRtt(0.2))
    log(`  unlimited drain ${round(unlimited.kbit)} kbit/s, ping ${round(unlimited.rtt)} ms`)
    await agent('hydra', 'flush', '--wait', '--timeout', '600')
    // 2 Mbit/s = 250,000 bytes per second of file data
    await agent('hydra', 'limit', `${(uplinkLimitKbit * 1000) / 8}B`)
    const limitedDir = await startDrain(at, 'uplink-limited', 16_000_000)
    const limited = await measure(limitedDir, pingRtt(windowSeconds / pingCount))
    log(`  limit ${uplinkLimitKbit} kbit/s: drain ${round(limited.kbit)} kbit/s, ping ${round(limited.rtt)} ms`)
    await agent('hydra', 'limit', 'off')
    await agent('hydra', 'flush', '--wait', '--timeout', '600')
    return {
      limitKbit: uplinkLimitKbit,
      drainKbit: limited.kbit,
      pingRttMsIdle: idle,
      pingRttMsDrainUnlimited: unlimited.rtt,
      pingRttMsDrainLimited: limited.rtt,
      detail: { unlimitedDrainKbit: unlimited.kbit, windowSeconds },
    }
  } finally {
    // back to what the inventory says
    await agent('hydra', 'limit', '--clear').catch(() => {})
  }
}

/** The uplink figures for results.json (NaN when the phase did not run). */
export function uplinkFigures(u: UplinkResult | undefined) {
  return {
    limitKbit: uplinkLimitKbit,
    drainKbit: u?.drainKbit ?? NaN,
    pingRttMsIdle: u?.pingRttMsIdle ?? NaN,
    pingRttMsDrainUnlimited: u?.pingRttMsDrainUnlimited ?? NaN,
    pingRttMsDrainLimited: u?.pingRttMsDrainLimited ?? NaN,
  }
}

/** Table rows: the limited drain against its limit, and the pings side by side. */
export function uplinkRows(r: ReturnType<typeof uplinkFigures>, u: UplinkResult | undefined, f: (x: number) => string, goal: (met: boolean, text: string) => string): Row[] {
  const off = Math.abs(r.drainKbit - r.limitKbit) / r.limitKbit
  const link = `link ${uplinkLink.kbit} kbit, ${uplinkLink.rttMs} ms RTT`
  return [
    { section: 'uplink', measure: `drain at a limit of ${r.limitKbit} kbit/s`, value: `${f(r.drainKbit)} kbit/s`, note: `${goal(off <= 0.1, 'within 10 % of the limit')}; ${link}; plexus's brick over ${u?.detail.windowSeconds ?? '?'} s; unlimited drain ${u ? f(u.detail.unlimitedDrainKbit) : '?'} kbit/s` },
    { section: 'uplink', measure: 'ping hydra -> plexus, idle', value: `${f(r.pingRttMsIdle)} ms`, note: `average of ${pingCount}` },
    { section: 'uplink', measure: 'ping while draining, unlimited', value: `${f(r.pingRttMsDrainUnlimited)} ms`, note: `average of ${pingCount}; the link's queue fills` },
    { section: 'uplink', measure: 'ping while draining, limited', value: `${f(r.pingRttMsDrainLimited)} ms`, note: `${goal(r.pingRttMsDrainLimited <= r.pingRttMsIdle * 1.5 + 5, 'near idle')}; average of ${pingCount}` },
  ]
}
