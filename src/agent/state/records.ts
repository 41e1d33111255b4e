// The agent's memory of each entry it published, with word names. The compact form written to disk
// is record-codec.ts's business alone.
import type { EntryKind, LowerId } from '../fs/entry-identity.ts'
import type { Bytes } from '../fs/paths.ts'

/** One upper entry that has been applied to lower. */
export interface PublishRecord {
  /** kind of the upper entry */
  kind: EntryKind
  /** upper inode, size, mtimeMs, ctimeMs at the time it was applied */
  ino: number
  size: number
  mtimeMs: number
  ctimeMs: number
  /** lower after publishing (null: nothing at that name) */
  lower: LowerId | null
  /** when it was applied (ms since epoch) */
  publishedAt: number
  /** local versions of this name go here since a conflict (relative path in lower) */
  conflictPath?: Bytes
  /** gv0's entry at `conflictPath` as this host last wrote it (an edit there by another host gets a new name) */
  conflictLower?: LowerId | null
  /** user xattrs and ACLs published, as short hashes of their values by name (meta-sync.ts) */
  metaHashes?: Record<string, string>
  /** directories: upper owner, group and mode when published (pushed again only when changed here) */
  dirAttrs?: [number, number, number]
  /** files: digest of the content published (content-digest.ts; absent in records of older versions) */
  digest?: string
  /** opaque directory contents already replaced in lower */
  opaqueDone?: true
  /**
   * opaque directory: since when the union may have shown none of gv0's directory here (a delete before the
   * directory was made, observations.ts replacedAfterMs); gv0 changes below it since then went unseen
   */
  hiddenSinceMs?: number
  /** upper entry reclaimed; the record stays as the baseline for the next copy-up */
  reclaimed?: true
}

/** A rename into gv0 about to happen: if we crash right after it, gv0's new entry is still ours. */
export interface Intent {
  ino: number
  size: number
  mtimeMs: number
  /** for a conflict copy (the intent's name): the upper entry it is a copy of */
  of?: string
  /** the state file's save count when the intent was noted (conflict copies only) */
  gen?: number
}
