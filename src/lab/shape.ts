// Shaping the WAN: tc tbf on the paths between the two sides, RTT from the delay line, link cut.
import { must, run } from './proc.ts'
import { router, routerNs } from './network.ts'
import { startDelayLine, stopDelayLine } from './delay-line.ts'
import type { Shape } from './state.ts'

// Egress of these carries traffic from one side to the other: A->B on by-a and tap-a, B->A on by-b and tap-b.
const shapedDevices = [router.bypassA, router.bypassB, router.tapA, router.tapB]

/** tbf parameters for a rate: a burst of about 10 ms (at least a few frames) and a queue of about 200 ms. */
export function tbfArgs(rateKbit: number): string[] {
  const bytesPerSec = (rateKbit * 1000) / 8
  const burst = Math.max(16 * 1024, Math.round(bytesPerSec * 0.01))
  const limit = Math.max(64 * 1024, Math.round(bytesPerSec * 0.2)) + burst
  return ['tbf', 'rate', `${rateKbit}kbit`, 'burst', String(burst), 'limit', String(limit)]
}

/** Applies a shape: rate limit in both directions (or none) and the RTT (0 bypasses the delay line). */
export async function applyShape(shape: Shape, link: 'up' | 'down'): Promise<void> {
  for (const dev of shapedDevices) {
    if (shape.rateKbit) await must(['ip', 'netns', 'exec', routerNs, 'tc', 'qdisc', 'replace', 'dev', dev, 'root', ...tbfArgs(shape.rateKbit)])
    else await run(['ip', 'netns', 'exec', routerNs, 'tc', 'qdisc', 'del', 'dev', dev, 'root'])
  }
  // Only one path between the sides may be up, or frames would loop and arrive twice.
  const viaDelay = shape.rttMs > 0
  const ns = (...args: string[]) => must(['ip', '-n', routerNs, ...args])
  if (viaDelay) {
    await ns('link', 'set', router.bypassA, 'down')
    await ns('link', 'set', router.bypassB, 'down')
    await startDelayLine(shape.rttMs)
    await ns('link', 'set', router.tapA, 'up')
    await ns('link', 'set', router.tapB, 'up')
  } else {
    await stopDelayLine()
    await ns('link', 'set', router.tapA, 'down')
    await ns('link', 'set', router.tapB, 'down')
    await ns('link', 'set', router.bypassA, 'up')
    await ns('link', 'set', router.bypassB, 'up')
  }
  await applyLink(link)
}

/**
 * Cuts or restores the WAN at side A, where the first host (hydra) is alone: its bridge stops forwarding
 * while the host keeps its carrier. Side B stays up, so plexus and the arbiter still reach each other.
 */
export async function applyLink(link: 'up' | 'down'): Promise<void> {
  await must(['ip', '-n', routerNs, 'link', 'set', router.bridgeA, link])
  // Side B was cut too before the arbiter existed; a lab brought up then is brought back here.
  await must(['ip', '-n', routerNs, 'link', 'set', router.bridgeB, 'up'])
}
