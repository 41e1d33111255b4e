// The WAN's round-trip latency: a small C program (lab/delay-line.c) between two TAPs in the router.
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot, runDir, labRoot } from './paths.ts'
import { must, startDetached } from './proc.ts'
import { router, routerNs } from './network.ts'
import { livePidIn, stopPid } from './pids.ts'

const source = join(repoRoot, 'lab', 'delay-line.c')
const pidFile = join(runDir, 'delay-line.pid')

/** Compiles the delay line once per source version, outside the repo. */
export async function buildDelayLine(): Promise<string> {
  const hash = createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 12)
  const bin = join(labRoot, 'bin', `delay-line-${hash}`)
  if (!existsSync(bin)) {
    mkdirSync(join(labRoot, 'bin'), { recursive: true })
    await must(['gcc', '-O2', '-Wall', '-o', `${bin}.tmp`, source])
    await must(['mv', `${bin}.tmp`, bin])
  }
  return bin
}

/** Pid of the running delay line, if any. */
export function delayLinePid(): number | undefined {
  return livePidIn(pidFile)
}

/** Starts the delay line inside the router namespace with a one-way delay of half the RTT. */
export async function startDelayLine(rttMs: number): Promise<number> {
  await stopDelayLine()
  const bin = await buildDelayLine()
  mkdirSync(runDir, { recursive: true })
  const oneWayUs = String(Math.round((rttMs * 1000) / 2))
  const pid = startDetached(['ip', 'netns', 'exec', routerNs, bin, router.tapA, router.tapB, oneWayUs], join(runDir, 'delay-line.log'))
  writeFileSync(pidFile, String(pid))
  return pid
}

/** Stops the delay line (if running) and forgets its pid. */
export async function stopDelayLine(): Promise<void> {
  const pid = delayLinePid()
  if (pid) await stopPid(pid, 3000)
  rmSync(pidFile, { force: true })
}
