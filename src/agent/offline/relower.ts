// Brick mode (union_lower brick): the daemon's periodic check that the union's lower layer is still the
// right one. A brick that stops being current pauses publishing and moves the union onto gv0 as soon as
// nothing holds it; a brick current again takes the union back the same way. Moving is a plain
// umount and mount: upper, and so every cached file, stays as it is.
import type { Agent } from '../core/agent.ts'
import { brickHealth } from '../fs/brick-health.ts'
import { isUnionMounted, staleBrick, umountUnion } from '../fs/mounts.ts'
import { boundLower, lowerChoice } from '../fs/union-lower.ts'
import { unionHolders } from '../watch/open-files.ts'
import { describeHolders } from './evict.ts'
import { remountAfterEvict } from './remount.ts'

/** One check; `log` hears each move of the union. */
export async function checkUnionLower(agent: Agent, log: (line: string) => void): Promise<void> {
  const cfg = agent.cfg
  if (cfg.unionLower !== 'brick' || !isUnionMounted(cfg)) return
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
  const moved = await agent.exclusive(async (held) => {
    if (!isUnionMounted(cfg)) return 'the union is not mounted'
    const holders = unionHolders(cfg.union)
    if (holders.length) return `union busy:\n${describeHolders(holders)}`
    const u = await umountUnion(cfg)
    if (!u.ok) return `umount ${cfg.union} failed: ${u.message}`
    return remountAfterEvict(held, verdict)
  })
  if (moved === null) {
    agent.clearError('union-lower')
    const now = lowerChoice(cfg)
    log(`union ${cfg.union} mounted again on ${now.lower ?? 'no lower'}: ${now.reason}`)
  } else if (leaving) {
    agent.reportError('union-lower', `${staleBrick.get(cfg.union)}; moving it waits: ${moved}`)
  }
}
