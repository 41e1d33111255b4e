// The rule for "safe to publish": no writer has it open and the agent has seen it unchanged for the
// settle time. The agent's own observation, not the file's times: those can be in the future (tar,
// cp -p, a clock stepped back) or shared (whiteouts), see observations.ts.
import type { Writers } from '../watch/open-files.ts'
import type { UpperEntry } from '../watch/scan.ts'

export type Quiescence = { quiet: true } | { quiet: false; reason: string; pids?: number[] }

/** Decides whether an entry may be published now (pure, so it is tested with data). */
export function quiescence(
  e: UpperEntry,
  unchangedForMs: number,
  settleMs: number,
  writers: Writers,
  unionRel: string = e.rel,
): Quiescence {
  if (writers.paths.has(e.rel) || writers.paths.has(unionRel)) {
    const mapped = writers.mapped.has(e.rel) || writers.mapped.has(unionRel)
    const pids = writers.byPath.get(e.rel) ?? writers.byPath.get(unionRel)
    return { quiet: false, reason: mapped ? 'mapped shared and writable' : 'open for writing', pids }
  }
  if (unchangedForMs < settleMs) return { quiet: false, reason: `settling (seen unchanged for ${(unchangedForMs / 1000).toFixed(1)}s)` }
  return { quiet: true }
}
