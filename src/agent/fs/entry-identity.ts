// What an entry is, in upper or in gv0: its kind, the identity of a lower entry (so remote changes can be
// told from our own) and time comparison. Upper's index, publishing and the state store all speak it.
import type { Stats } from 'node:fs'

export type EntryKind = 'f' | 'd' | 'l' | 'w'

/** What a name in lower looked like when this host last saw or wrote it. */
export interface LowerId {
  kind: EntryKind
  ino: number
  size: number
  mtimeMs: number
  ctimeMs: number
  /** link count, for files with more than one name */
  links?: number
}

/** Classifies an lstat result the way overlayfs uses upper entries. */
export function kindOf(st: Stats): EntryKind | 'other' {
  if (st.isFile()) return 'f'
  if (st.isDirectory()) return 'd'
  if (st.isSymbolicLink()) return 'l'
  if (st.isCharacterDevice() && st.rdev === 0) return 'w'
  return 'other'
}

// Looking gv0 entries up by path is SafeTree's job (safe-fs.ts): ctx.lowerFs.lstatOrNull(rel).

/** The identity of a lower entry as remembered in the state store (link count only when above 1). */
export function lowerId(st: Stats | null): LowerId | null {
  if (!st) return null
  const k = kindOf(st)
  const id: LowerId = { kind: k === 'other' ? 'f' : k, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs }
  if (id.kind === 'f' && st.nlink > 1) id.links = st.nlink
  return id
}

/**
 * True when lower still holds exactly what was recorded (directories: same inode is enough).
 * A file with several names (hard links) is compared by inode, size and mtime only: adding or
 * removing any of its names moves its ctime, and this host's own hard-link publishes do that to
 * every name of the inode. A remote chmod or chown of such a file alone is therefore not seen.
 */
export function sameLower(now: LowerId | null, then: LowerId | null): boolean {
  if (now === null || then === null) return now === then
  if (now.kind !== then.kind || now.ino !== then.ino) return false
  if (now.kind === 'd') return true
  if (now.size !== then.size || now.mtimeMs !== then.mtimeMs) return false
  return now.ctimeMs === then.ctimeMs || (now.links ?? 1) > 1 || (then.links ?? 1) > 1
}

/** Timestamps as set through utimes lose sub-microsecond precision; compare with that slack. */
export function sameTime(a: number, b: number): boolean {
  return Math.abs(a - b) < 0.005
}
