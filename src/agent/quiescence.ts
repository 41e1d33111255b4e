// The rule for "safe to publish": no writer has it open and nothing changed for the settle time.
import type { UpperEntry } from './scan.ts'

export type Quiescence = { quiet: true } | { quiet: false; reason: string; pids?: number[] }

/** Decides whether an entry may be published now (pure, so it is tested with data). */
export function quiescence(
  e: UpperEntry,
  nowMs: number,
  settleMs: number,
  writers: { paths: Set<string>; byPath: Map<string, number[]> },
  unionRel: string = e.rel,
): Quiescence {
  if (writers.paths.has(e.rel) || writers.paths.has(unionRel)) {
    return { quiet: false, reason: 'open for writing', pids: writers.byPath.get(e.rel) ?? writers.byPath.get(unionRel) }
  }
  const changed = Math.max(e.mtimeMs, e.ctimeMs)
  const age = nowMs - changed
  if (age < settleMs) return { quiet: false, reason: `settling (changed ${(age / 1000).toFixed(1)}s ago)` }
  return { quiet: true }
}
