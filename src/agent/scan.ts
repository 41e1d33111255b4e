// The upper dir as an index of entries, built by a full walk and refreshed one directory at a time.
import { lstatSync, readdirSync, type Stats } from 'node:fs'
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import { fsPath, joinRel, type Bytes } from './paths.ts'
import type { EntryKind } from './state-store.ts'

export interface UpperEntry {
  rel: Bytes
  /** 'w' only for char-device whiteouts here; xattr whiteouts are found later */
  kind: EntryKind | 'other'
  ino: number
  size: number
  mtimeMs: number
  ctimeMs: number
  birthMs: number
  /** names of the inode in upper (hard links) */
  nlink: number
  mode: number
  uid: number
  gid: number
  atimeMs: number
}

/** When the entry came to be here (birth time, or ctime without one): gv0 changes after it are remote. */
export function bornMs(e: UpperEntry): number {
  return e.birthMs > 0 ? e.birthMs : e.ctimeMs
}

/** Classifies an lstat result the way overlayfs uses upper entries. */
export function kindOf(st: Stats): EntryKind | 'other' {
  if (st.isFile()) return 'f'
  if (st.isDirectory()) return 'd'
  if (st.isSymbolicLink()) return 'l'
  if (st.isCharacterDevice() && st.rdev === 0) return 'w'
  return 'other'
}

/** Compact entry from a stat, so 100k entries stay small in memory. */
export function entryFromStat(rel: Bytes, st: Stats): UpperEntry {
  return {
    rel,
    kind: kindOf(st),
    ino: st.ino,
    size: st.size,
    mtimeMs: st.mtimeMs,
    ctimeMs: st.ctimeMs,
    birthMs: st.birthtimeMs,
    nlink: st.nlink,
    mode: st.mode,
    uid: st.uid,
    gid: st.gid,
    atimeMs: st.atimeMs,
  }
}

/** Entries of the upper dir by relative path, plus each directory's children for partial rescans. */
export class UpperIndex {
  readonly entries = new Map<Bytes, UpperEntry>()
  readonly children = new Map<Bytes, Set<Bytes>>()
  /** entries the last walk could not read (one bad entry never fails the walk), with the reason */
  readonly problems = new Map<Bytes, string>()

  /**
   * Wall-clock start of the last full walk that completed, null while one runs or after one failed:
   * an entry missing from a complete index was missing from upper at some moment after this time.
   */
  walkedSince: number | null = null

  constructor(readonly root: Bytes) {}

  /** Walks the whole upper dir; yields to the event loop now and then so the socket stays responsive. */
  async fullScan(): Promise<void> {
    const started = Date.now()
    this.walkedSince = null
    this.entries.clear()
    this.children.clear()
    this.problems.clear()
    await this.scanTree('')
    this.walkedSince = started
  }

  /** Re-reads one directory (after an inotify event); new subdirectories are walked fully. */
  async rescanDir(rel: Bytes): Promise<void> {
    if (rel !== '' && this.entries.get(rel)?.kind !== 'd') {
      // unknown dir: its parent will be rescanned and walk it
      return
    }
    const before = this.children.get(rel) ?? new Set<Bytes>()
    const names = this.readNames(rel)
    if (names === null) {
      this.forget(rel, false)
      return
    }
    const now = new Set<Bytes>()
    for (const name of names) {
      const child = joinRel(rel, name)
      now.add(child)
      const old = this.entries.get(child)
      const e = this.statEntry(child)
      if (!e) continue
      this.entries.set(child, e)
      if (e.kind === 'd' && (!old || old.kind !== 'd' || old.ino !== e.ino)) {
        if (old) this.forget(child, true)
        this.entries.set(child, e)
        await this.scanTree(child)
      } else if (e.kind !== 'd' && old?.kind === 'd') {
        this.forget(child, true)
        this.entries.set(child, e)
      }
    }
    for (const child of before) if (!now.has(child)) this.forget(child, false)
    this.children.set(rel, now)
  }

  private async scanTree(start: Bytes): Promise<void> {
    const stack: Bytes[] = [start]
    let work = 0
    while (stack.length > 0) {
      const dir = stack.pop() as Bytes
      const names = this.readNames(dir)
      if (names === null) continue
      const kids = new Set<Bytes>()
      for (const name of names) {
        const rel = joinRel(dir, name)
        const e = this.statEntry(rel)
        if (!e) continue
        kids.add(rel)
        this.entries.set(rel, e)
        if (e.kind === 'd') stack.push(rel)
        if (++work % 4096 === 0) await yieldToLoop()
      }
      this.children.set(dir, kids)
    }
  }

  private readNames(dir: Bytes): Bytes[] | null {
    try {
      return readdirSync(fsPath(this.root, dir), { encoding: 'latin1' }) as unknown as Bytes[]
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'ENOENT' || code === 'ENOTDIR') return null
      if (dir === '') throw err
      this.problems.set(dir, `cannot read directory: ${(err as Error).message}`)
      return null
    }
  }

  private statEntry(rel: Bytes): UpperEntry | null {
    try {
      return entryFromStat(rel, lstatSync(fsPath(this.root, rel)))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
      this.problems.set(rel, `cannot read entry: ${(err as Error).message}`)
      return null
    }
  }

  /** Drops an entry and (for dirs) everything below it. */
  private forget(rel: Bytes, keepSelf: boolean): void {
    const kids = this.children.get(rel)
    if (kids) {
      for (const k of kids) this.forget(k, false)
      this.children.delete(rel)
    }
    if (!keepSelf) {
      this.entries.delete(rel)
    }
  }
}
