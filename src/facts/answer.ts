// What a fact does with a command that failed: only the answers that mean "absent" are read as absent;
// anything else (127 command not found, 126, 255, a permission error) fails the host with its own words.
import type { Result } from '../engine/result.ts'
import { failureReason } from '../engine/result.ts'

/** Printed by a fact command, with exit 0, when what it looks for is not there. */
export const absentMarker = 'missing'

/** True for the command's own answer "not there" (absentMarker, exit 0). */
export function isAbsent(result: Result): boolean {
  return result.exitCode === 0 && result.stdout === `${absentMarker}\n`
}

/** The error for a fact command that did not answer: its exit code, its output, the command. */
export function commandFailed(result: Result): Error {
  return new Error(failureReason(result))
}
