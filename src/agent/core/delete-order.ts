// Renames arrive as copy + whiteout (or as a vanished name). Publishing the delete first would leave
// gv0 without the file until the new name follows, for as long as that name is busy or settling.
// The rule: a delete waits while a name new to gv0, first seen pending no later than the delete, is
// still pending. An entry that stays pending for good (held open, failing) cannot hold unrelated
// deletes back forever: after HOLD_MAX_MS they go ahead. A delete that may be the old half of a rename
// whose new half is still missing from gv0 waits for as long as that is so: the new name may hold the
// only other copy of those bytes, and gv0 must not lose the file before it has them under some name.
import type { Bytes } from '../fs/paths.ts'

/** Why a delete first seen at `since` waits now, or null: it may go. */
export type Held = (since: number, rel: Bytes) => Promise<string | null>

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

/** A pending new name as the rename check needs it. */
export interface NewName {
  rel: Bytes
  since: number
  kind: 'f' | 'l'
  ino: number
  size: number
}

/** What a delete would remove: the upper inode this host recorded for the name, and gv0's entry there. */
export interface DeletedThing {
  recordedIno?: number
  gv0?: { kind: 'f' | 'l' | 'd' | 'w'; size: number } | null
}

/**
 * Pending new names indexed for the question "may this delete be the old half of a rename whose new
 * half is one of them": the same upper inode (a rename inside the cache moves the inode), or an entry
 * of the same kind and size as gv0's entry at the deleted name (a rename of a copy-up, an editor's or
 * a `cp` + `rm`). A later edit of the new name breaks the size match; its old bytes are then superseded
 * here anyway. Each key keeps the earliest first sighting, as only names seen no later than the delete count.
 */
export class RenameHalves {
  private readonly byIno = new Map<number, NewName>()
  private readonly byShape = new Map<string, NewName>()

  constructor(pending: Iterable<NewName>) {
    for (const n of pending) {
      const a = this.byIno.get(n.ino)
      if (!a || n.since < a.since) this.byIno.set(n.ino, n)
      const k = `${n.kind}:${n.size}`
      const b = this.byShape.get(k)
      if (!b || n.since < b.since) this.byShape.set(k, n)
    }
  }

  /** The new name that may carry what a delete first seen at `since` removes, or null. */
  newHalf(since: number, d: DeletedThing): NewName | null {
    const byIno = d.recordedIno !== undefined ? this.byIno.get(d.recordedIno) : undefined
    if (byIno && byIno.since <= since) return byIno
    const g = d.gv0
    if (!g || (g.kind !== 'f' && g.kind !== 'l')) return null
    const byShape = this.byShape.get(`${g.kind}:${g.size}`)
    return byShape && byShape.since <= since ? byShape : null
  }

  get size(): number {
    return this.byIno.size
  }
}
