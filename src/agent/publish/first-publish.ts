// A file's first publish without looking its name up first. In gv0 every lookup of a missing name holds
// the directory's lock on that FUSE mount for a WAN round trip, and the lock, not the link, bounds how many
// files a second go into one directory (docs/drain.md). A name this host has no record of and did not
// copy up is almost always free: link(temp, name) takes it or fails with EEXIST without replacing
// anything, and only then is gv0's entry looked at and judged as a lookup first would have judged it
// (placement.ts, renameIntoPlace's `ifTaken`). Nothing is decided on less than before: the outcome for
// a taken name is the one chooseTarget gives, only reached after the copy instead of before it.
import type { UpperEntry } from '../watch/scan.ts'
import type { PublishRecord } from '../state/state-store.ts'
import type { Xattrs } from '../fs/xattrs.ts'
import { isCopyUp } from './no-clobber.ts'
import type { Target } from './placement.ts'

/**
 * Whether `e` may be published without a lookup first: no record (so nothing of gv0's to compare), a
 * single link (a hard link is published from its twin, which needs the target first), and not a copy-up
 * (the union showed gv0's entry there, so the name is taken).
 */
export function likelyFree(e: UpperEntry, rec: PublishRecord | undefined, xattrs: Xattrs | null): boolean {
  return rec === undefined && e.kind === 'f' && e.nlink <= 1 && !isCopyUp(xattrs)
}

/** The target a lookup finding nothing would have chosen: the file's own name, taken only while free. */
export function freeName(e: UpperEntry): Target {
  return { target: e.rel, conflict: false, before: null }
}
