// Renames arrive as copy + whiteout (or as a vanished name). Publishing the delete first would leave
// gv0 without the file until the new name follows, for as long as that name is busy or settling.
// The rule: a delete waits while a name new to gv0, first seen pending no later than the delete, is
// still pending. An entry that stays pending for good (held open, failing) cannot hold deletes back
// forever: after HOLD_MAX_MS the delete goes ahead.
import type { Bytes } from '../fs/paths.ts'

export const HOLD_MAX_MS = 10 * 60_000

/** Earliest first sighting among pending new names (Infinity when none): deletes seen at or after it wait. */
export function oldestNewName(pending: Iterable<{ rel: Bytes; since: number }>): { rel: Bytes; since: number } | null {
  let oldest: { rel: Bytes; since: number } | null = null
  for (const p of pending) if (!oldest || p.since < oldest.since) oldest = p
  return oldest
}

/** Why a delete first seen at `since` must wait, or null when it may be applied now. */
export function deleteHeld(since: number, now: number, oldest: { rel: Bytes; since: number } | null, name: (rel: Bytes) => string): string | null {
  if (!oldest || oldest.since > since) return null
  if (now - since >= HOLD_MAX_MS) return null
  return `delete waits until ${name(oldest.rel)} (seen earlier, maybe its new name) is in gv0`
}
