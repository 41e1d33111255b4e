// The agent's own costs: CPU while idle on a lab host, and a full scan of 100,000 pending upper entries here.
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { overlayOptions } from '../src/agent/fs/mounts.ts'
import { parseConfig } from '../src/agent/service/config.ts'
import { hostWorkload, onHost, type HostName } from './host.ts'
import { median } from './stats.ts'

const run = promisify(execFile)
const scanScript = fileURLToPath(new URL('./agent-scan.ts', import.meta.url))

export interface IdleCpu {
  host: HostName
  pid: number
  seconds: number
  cpuSeconds: number
  percent: number
}

/** CPU used by a host's running agent over an interval with nothing to publish, from /proc/PID/stat. */
export async function idleCpu(host: HostName, seconds: number): Promise<IdleCpu> {
  const pid = Number((await onHost(host, ['systemctl', 'show', '--property=MainPID', '--value', 'gfs-writecache.service'])).trim())
  if (!(pid > 0)) throw new Error(`${host}: the agent is not running`)
  const r = await hostWorkload<{ cpuSeconds: number; seconds: number; percent: number }>(host, ['cpu', pid, seconds], (seconds + 60) * 1000)
  return { host, pid, ...r }
}

export interface ScanResult {
  entries: number
  scanSeconds: number
  peakRssMB: number
  baselineRssMB: number
  runs: number[]
}

/** Builds 100,000 pending files in an overlay's upper dir under /tmp, then times the agent's start-up scan
 * in a fresh process (median of three; peak RSS is that process's whole footprint, Node included). */
export async function scanBench(entries: number, runs = 3): Promise<ScanResult> {
  const dir = mkdtempSync('/tmp/gfswc-bench-scan-')
  for (const d of ['lower', 'upper', 'work', 'union', 'state']) mkdirSync(join(dir, d))
  const perDir = 100
  for (let d = 0; d < entries / perDir; d++) {
    const sub = join(dir, 'upper', `d${d}`)
    mkdirSync(sub)
    for (let f = 0; f < perDir; f++) writeFileSync(join(sub, `file-${f}.txt`), `entry ${d}/${f}\n`)
  }
  const cfg = parseConfig({ host: 'bench', upper: join(dir, 'upper'), work: join(dir, 'work'), lower: join(dir, 'lower'), union: join(dir, 'union'), stateDir: join(dir, 'state'), requireLowerMount: false })
  await run('mount', ['-t', 'overlay', 'overlay', '-o', overlayOptions(cfg), cfg.union])
  try {
    const results: { entries: number; scanSeconds: number; peakRssMB: number; baselineRssMB: number }[] = []
    for (let i = 0; i < runs; i++) {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', scanScript, dir], { maxBuffer: 1 << 20 })
      results.push(JSON.parse(stdout.trim().split('\n').pop()!))
      rmSync(join(dir, 'state'), { recursive: true, force: true })
      mkdirSync(join(dir, 'state'))
    }
    const times = results.map((r) => r.scanSeconds)
    return {
      entries: results[0]!.entries,
      scanSeconds: median(times),
      peakRssMB: median(results.map((r) => r.peakRssMB)),
      baselineRssMB: median(results.map((r) => r.baselineRssMB)),
      runs: times,
    }
  } finally {
    await run('umount', [cfg.union])
    rmSync(dir, { recursive: true, force: true })
  }
}
