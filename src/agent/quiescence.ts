// The rule for "safe to publish": no writer has it open and nothing changed for the settle time.
import type { Writers } from './open-files.ts'
import type { UpperEntry } from './scan.ts'

export type Quiescence = { quiet: true } | { quiet: false; reason: string; pids?: number[] }

/** Decides whether an entry may be published now (pure, so it is tested with data). */
export function quiescence(
  e: UpperEntry,
  nowMs: number,
  settleMs: number,
  writers: Writers,
  unionRel: string = e.rel,
): Quiescence {
  if (writers.paths.has(e.rel) || writers.paths.has(unionRel)) {
    const mapped = writers.mapped.has(e.rel) || writers.mapped.has(unionRel)
    const pids = writers.byPath.get(e.rel) ?? writers.byPath.get(unionRel)
    return { quiet: false, reason: mapped ? 'mapped shared and writable' : 'open for writing', pids }
  }
  const changed = Math.max(e.mtimeMs, e.ctimeMs)
  const age = nowMs - changed
  if (age < settleMs) return { quiet: false, reason: `settling (changed ${(age / 1000).toFixed(1)}s ago)` }
  return { quiet: true }
}
