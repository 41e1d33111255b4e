// The agent's own view of time (flush contract 11). A file's times say nothing reliable about when it
// last changed (tar and cp -p set them, clocks step), and every whiteout is a hard link of one inode
// whose ctime each delete anywhere moves. So the agent remembers, per pending entry, when it first saw
// the entry as it is now (monotonic clock), and per pending delete a wall-clock time the delete cannot
// be older than, kept on disk so a restart does not lose it.
import { readFileSync } from 'node:fs'
import { crashPoint } from './crash-points.ts'
import { join } from 'node:path'
import { writeFileAtomic } from '../fs/atomic-write.ts'
import { parentRel, type Bytes } from '../fs/paths.ts'
import { bornMs, type UpperEntry } from '../watch/scan.ts'

/** How far the walk bound may move on before it is written again; a stop writes it whatever the lag. */
const BOUND_SAVE_MS = 5_000

export interface Clock {
  /** milliseconds on a clock that never steps (backoff, settle time) */
  mono(): number
  /** milliseconds since the epoch (only where a time is compared with gv0's) */
  wall(): number
}

export const systemClock: Clock = { mono: () => performance.now(), wall: () => Date.now() }

/**
 * What makes an entry "unchanged": kind, inode, size and times. A whiteout is identified by its inode
 * only: its ctime and link count belong to every whiteout of the upper dir.
 */
export function sameIdentity(a: UpperEntry, b: UpperEntry): boolean {
  if (a.kind !== b.kind || a.ino !== b.ino) return false
  return a.kind === 'w' || (a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs)
}

/** Entries that may stand for a delete: char-device whiteouts, and empty files (xattr whiteouts are found later). */
function mayDelete(e: UpperEntry): boolean {
  return e.kind === 'w' || (e.kind === 'f' && e.size === 0)
}

interface Seen {
  /** the entry as last seen (the index's own object: no copy is kept) */
  e: UpperEntry | null
  /** monotonic time this identity was first seen */
  since: number
  /** monotonic time the name was first seen pending, whatever it looked like then */
  pending: number
}

interface SavedFile {
  v: 1
  upperIno: number | null
  bound: number
  deletes: Record<string, number>
  /** see Observations.shownUntil (absent in files of older versions) */
  shown?: Record<string, number>
  /** see Observations.dirsAfter (absent in files of older versions) */
  dirs?: Record<string, number>
  /** the latest dentry drops and union mounts (no-clobber.ts), absent in files of older versions */
  drops?: number[]
}

/** Drops kept on disk: minutes of them at the usual interval, enough for a restart. */
const SAVED_DROPS = 64

export class Observations {
  private readonly seen = new Map<Bytes, Seen>()
  /** pending deletes: wall-clock ms the delete happened after */
  private readonly deletedAfter = new Map<Bytes, number>()
  /**
   * Wall-clock start of the last complete walk of upper as of the last complete round: a delete not
   * seen in that round happened after it. 0 (the epoch) when unknown: every remote change is newer.
   */
  private bound = 0
  /** the bound as last written to disk: a restart dates deletes it did not see by that one */
  private savedBound = 0
  /**
   * Per name without a record: wall-clock birth of the first upper file or symlink (copy-up or create)
   * the agent saw there. From then on the union showed that entry, not gv0's, so a gv0 change after it went unseen.
   */
  private readonly shownUntil = new Map<Bytes, number>()
  /**
   * Pending directories: the walk bound when the agent first saw each. A directory made over a delete
   * (opaque) hides gv0's one from the union since the delete, which came after that walk at the earliest.
   */
  private readonly dirsAfter = new Map<Bytes, number>()
  private upperIno: number | null = null
  /** pending deletes were added since the last save */
  dirty = false
  readonly startedAt: number
  readonly file: string

  constructor(
    stateDir: string,
    readonly clock: Clock,
    /** where drops of earlier runs go on load, and come from on save */
    private readonly drops?: { note(at: number): void; recent(n: number): number[] },
  ) {
    this.file = join(stateDir, 'observed.json')
    this.startedAt = clock.mono()
  }

  /** Reads what a previous run knew about pending deletes; another upper dir (or none saved) knows nothing. */
  load(upperIno: number): void {
    this.upperIno = upperIno
    let saved: SavedFile
    try {
      saved = JSON.parse(readFileSync(this.file, 'latin1')) as SavedFile
    } catch {
      return
    }
    if (saved?.v !== 1 || saved.upperIno !== upperIno) return
    // a garbled copy knows nothing (as a missing one): every date it lacks falls back to an earlier bound
    if (typeof saved.bound !== 'number' || typeof saved.deletes !== 'object' || saved.deletes === null) return
    this.bound = saved.bound
    this.savedBound = saved.bound
    for (const [rel, t] of Object.entries(saved.deletes)) if (typeof t === 'number') this.deletedAfter.set(rel, t)
    for (const [rel, t] of Object.entries(saved.shown ?? {})) if (typeof t === 'number') this.shownUntil.set(rel, t)
    for (const [rel, t] of Object.entries(saved.dirs ?? {})) if (typeof t === 'number') this.dirsAfter.set(rel, t)
    // a drop is a drop whoever made it; one not saved in time only leaves a wider (safe) window
    for (const t of saved.drops ?? []) if (typeof t === 'number') this.drops?.note(t)
  }

  /**
   * Saved after the state file, never before it: an older copy only holds older (lower) bounds, and a
   * delete it lacks gets that copy's older bound, so neither can make a delete look later than it was.
   */
  save(): void {
    const deletes: Record<string, number> = {}
    for (const [rel, t] of this.deletedAfter) deletes[rel] = t
    const shown: Record<string, number> = {}
    for (const [rel, t] of this.shownUntil) shown[rel] = t
    const dirs: Record<string, number> = {}
    for (const [rel, t] of this.dirsAfter) dirs[rel] = t
    const body: SavedFile = { v: 1, upperIno: this.upperIno, bound: this.bound, deletes, shown, dirs, drops: this.drops?.recent(SAVED_DROPS) }
    // no fsync: a copy lost or torn by a power cut reads as "nothing known", which is safe (see load)
    writeFileAtomic(this.file, Buffer.from(JSON.stringify(body), 'latin1'), { durable: false, beforeRename: () => crashPoint('state:observed-before-rename') })
    this.savedBound = this.bound
    this.dirty = false
  }

  /**
   * Notes what a pass is about to work on: every pending entry of the index, and published names that
   * left upper. `walkedSince` is the wall-clock start of the last complete walk the index reflects (null
   * while a walk runs): only then does an absent entry prove anything, so only then are old notes
   * dropped and the bound moved on. `recorded` tells names this host has a record of: their deletes
   * are judged against the record, so the entries seen there need not be remembered.
   */
  round(pending: Iterable<UpperEntry>, gone: Iterable<Bytes>, walkedSince: number | null, recorded: (rel: Bytes) => boolean = () => false): void {
    const now = this.clock.mono()
    const keep = new Set<Bytes>()
    for (const e of pending) {
      keep.add(e.rel)
      this.note(e.rel, e, now)
      if (mayDelete(e) && !this.deletedAfter.has(e.rel)) {
        this.deletedAfter.set(e.rel, this.bound)
        this.dirty = true
      }
      if (e.kind === 'd' && !this.dirsAfter.has(e.rel)) {
        this.dirsAfter.set(e.rel, this.bound)
        this.dirty = true
      }
      // a directory made here hides none of gv0's entries in it: the union lists both
      if (e.kind === 'f' || e.kind === 'l' || e.kind === 'other') {
        // dropping a note needs no save: a record, not the note, judges that name from now on
        if (recorded(e.rel)) this.shownUntil.delete(e.rel)
        else if (!this.shownUntil.has(e.rel)) {
          this.shownUntil.set(e.rel, bornMs(e))
          this.dirty = true
        }
      }
    }
    for (const rel of gone) {
      keep.add(rel)
      this.note(rel, null, now)
    }
    if (walkedSince === null) return
    for (const rel of this.seen.keys()) if (!keep.has(rel)) this.seen.delete(rel)
    for (const rel of this.deletedAfter.keys()) if (!keep.has(rel)) this.deletedAfter.delete(rel)
    for (const rel of this.dirsAfter.keys()) if (!keep.has(rel)) this.dirsAfter.delete(rel)
    // an entry removed with its directory stays noted while that delete is pending: it is applied below
    for (const rel of this.shownUntil.keys()) if (!keep.has(rel) && !this.underDelete(rel)) this.shownUntil.delete(rel)
    // the bound on disk must keep up with the walks: after a restart, a delete the agent had not seen yet is
    // dated by it, and one left behind makes every gv0 change since look newer than the delete (a needless
    // kept delete). Written when it moved on by a few seconds (a flush walks every round), and at every stop.
    if (walkedSince - this.savedBound >= BOUND_SAVE_MS) this.dirty = true
    this.bound = walkedSince
  }

  /** `e` null: the name left upper. */
  private note(rel: Bytes, e: UpperEntry | null, now: number): Seen {
    const s = this.seen.get(rel)
    if (s && (s.e === null ? e === null : e !== null && sameIdentity(s.e, e))) {
      s.e = e
      return s
    }
    const fresh = { e, since: now, pending: s?.pending ?? now }
    this.seen.set(rel, fresh)
    return fresh
  }

  /** Notes a fresh look at an entry; returns how long it has been seen unchanged (ms). */
  see(e: UpperEntry): number {
    const now = this.clock.mono()
    return now - this.note(e.rel, e, now).since
  }

  /** Monotonic time the entry's current identity was first seen (now when never seen). */
  sinceOf(rel: Bytes): number {
    return this.seen.get(rel)?.since ?? this.clock.mono()
  }

  /** Monotonic time the name was first seen pending (now when never seen). */
  pendingSince(rel: Bytes): number {
    return this.seen.get(rel)?.pending ?? this.clock.mono()
  }

  /**
   * Wall-clock time from which a gv0 change at a deleted name counts as unseen by the delete, so the
   * remote version is kept. Never later than the delete itself, nor than the last time the union showed
   * gv0's entry there: for a name with a copy-up or create the agent saw before the whiteout, that
   * entry's birth. Otherwise the last complete walk before the agent first saw the delete: whatever stood
   * at the name then was gv0's, and a copy-up the agent missed came after it. Only when no walk is known
   * (the first one of a cache) does the birth of the whiteout inode stand in (one inode for all whiteouts
   * of a mount: born before any of its links); it says nothing about a copy-up before the delete, so a
   * known walk wins over it.
   */
  deletedAfterMs(e: UpperEntry): number {
    const walked = this.deletedAfter.get(e.rel) ?? this.bound
    const after = walked > 0 ? walked : e.birthMs > 0 ? e.birthMs : 0
    return Math.min(after, this.shownUntil.get(e.rel) ?? Infinity)
  }

  /**
   * Wall-clock time from which the union may have shown none of gv0's directory at the name of `e`, a
   * directory made here over a delete (opaque): never later than its birth, nor than the delete before it
   * if the agent saw that one, nor than the last walk before the agent first saw either (a replacement
   * made while the agent was down or between two walks was made after that walk). With no walk known
   * (the first of a cache), the directory's birth.
   */
  replacedAfterMs(e: UpperEntry): number {
    const walked = Math.min(this.deletedAfter.get(e.rel) ?? Infinity, this.dirsAfter.get(e.rel) ?? this.bound)
    return Math.min(bornMs(e), walked > 0 ? walked : Infinity)
  }

  /** Birth of the unrecorded upper entry the agent saw at `rel` (see shownUntil), if it saw one. */
  upperShownSince(rel: Bytes): number | undefined {
    return this.shownUntil.get(rel)
  }

  private underDelete(rel: Bytes): boolean {
    for (let r = parentRel(rel); r !== ''; r = parentRel(r)) if (this.deletedAfter.has(r)) return true
    return false
  }

  /** True once this process has been watching for `ms`: before that, nothing can be quiet for that long. */
  watchedFor(ms: number): boolean {
    return this.clock.mono() - this.startedAt >= ms
  }
}
