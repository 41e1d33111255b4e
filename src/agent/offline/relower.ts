// The daemon's periodic check that the union's lower layer is still the right one. Brick mode: a brick
// that stops being current pauses publishing and moves the union onto gv0 as soon as nothing holds it;
// a brick current again takes the union back the same way. gv0 mode: a union still on gv0_mount (an
// install from before the union had its own read-only client, or mounted while that client was down)
// moves onto that client the same way. Moving is a plain umount and mount: upper, and so every cached
// file, stays as it is.
import type { Agent } from '../core/agent.ts'
import { brickHealth, type BrickVerdict } from '../fs/brick-health.ts'
import { isUnionMounted, staleBrick, umountUnion } from '../fs/mounts.ts'
import { boundLower, lowerChoice, mountedLowerDir, unionClientProblem } from '../fs/union-lower.ts'
import { unionHolders } from '../watch/open-files.ts'
import { describeHolders } from './evict.ts'
import { remountAfterEvict } from './remount.ts'

/** One check; `log` hears each move of the union. */
export async function checkUnionLower(agent: Agent, log: (line: string) => void): Promise<void> {
  const cfg = agent.cfg
  if (!isUnionMounted(cfg)) return
  if (cfg.unionLower !== 'brick') return checkGv0Lower(agent, log)
  const verdict = await brickHealth.check(cfg.volume!, cfg.brick!)
  const bound = boundLower(cfg)
  if (bound === 'brick' && verdict.current) {
    staleBrick.delete(cfg.union)
    agent.clearError('union-lower')
    return
  }
  if (bound !== 'brick' && !verdict.current) return
  const leaving = bound === 'brick'
  if (leaving) {
    staleBrick.set(cfg.union, `the union shows brick ${cfg.brick}, which is not current (${verdict.reason}): publishing paused until the union is on gv0`)
  }
  const moved = await remountIdle(agent, verdict)
  if (moved === null) {
    agent.clearError('union-lower')
    const now = lowerChoice(cfg)
    log(`union ${cfg.union} mounted again on ${now.lower ?? 'no lower'}: ${now.reason}`)
  } else if (leaving) {
    agent.reportError('union-lower', `${staleBrick.get(cfg.union)}; moving it waits: ${moved}`)
  }
}

/** Unmounts the union when nothing holds it and mounts it again: null when done, else why not. */
function remountIdle(agent: Agent, verdict?: BrickVerdict): Promise<string | null> {
  const cfg = agent.cfg
  return agent.exclusive(async (held) => {
    if (!isUnionMounted(cfg)) return 'the union is not mounted'
    const holders = unionHolders(cfg.union)
    if (holders.length) return `union busy:\n${describeHolders(holders)}`
    const u = await umountUnion(cfg)
    if (!u.ok) return `umount ${cfg.union} failed: ${u.message}`
    return remountAfterEvict(held, verdict)
  })
}

async function checkGv0Lower(agent: Agent, log: (line: string) => void): Promise<void> {
  const cfg = agent.cfg
  if (!cfg.unionLowerMount) return
  const on = mountedLowerDir(cfg.union)
  const problem = await unionClientProblem(cfg)
  if (on === cfg.unionLowerMount) {
    if (problem) agent.reportError('union-lower', `the union's lower ${problem}`)
    else agent.clearError('union-lower')
    return
  }
  // on gv0_mount: it works, only not while cut off; a missing client is the provisioning's to mount
  if (problem) return
  const moved = await remountIdle(agent)
  if (moved === null) {
    agent.clearError('union-lower')
    log(`union ${cfg.union} mounted again on ${lowerChoice(cfg).path}, its read-only gv0 client`)
  } else {
    agent.reportError('union-lower', `union ${cfg.union} is still on ${on ?? 'an unknown lower'}; it moves onto ${cfg.unionLowerMount} once nothing holds it: ${moved}`)
  }
}
