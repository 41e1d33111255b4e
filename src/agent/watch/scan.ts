// The upper dir as an index of entries, built by a full walk and refreshed one directory at a time.
// The walk goes by directory descriptors (safe-fs.ts): it never follows a symlink, and a tree deeper
// than PATH_MAX is walked like any other.
import { closeSync, lstatSync, readdirSync, type Stats } from 'node:fs'
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import { baseName, joinRel, type Bytes } from '../fs/paths.ts'
import { openDirSync, openTreeDirSync, procPath, withCwdAt } from '../fs/dir-handles.ts'
import { kindOf, type EntryKind } from '../fs/entry-identity.ts'
import { isHiddenRootName } from '../fs/hidden-names.ts'

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

  /**
   * A full walk is under way: the index holds part of upper only. It yields to the event loop, so a reader
   * outside the lock (status) can see that part; it must not take a missing entry for a gone one.
   */
  walking = false

  /**
   * Called with each directory just before the walk reads it (the daemon watches it there): a change made
   * after that raises an event, so none falls between a directory's walk and its watch.
   */
  beforeRead: ((rel: Bytes) => void) | null = null

  constructor(readonly root: Bytes) {}

  /** Walks the whole upper dir; yields to the event loop now and then so the socket stays responsive. */
  async fullScan(): Promise<void> {
    const started = Date.now()
    this.walkedSince = null
    this.walking = true
    try {
      this.entries.clear()
      this.children.clear()
      this.problems.clear()
      await this.scanTree('')
      this.walkedSince = started
    } finally {
      this.walking = false
    }
  }

  /** Re-reads one directory (after an inotify event); new subdirectories are walked fully. */
  async rescanDir(rel: Bytes): Promise<void> {
    if (rel !== '' && this.entries.get(rel)?.kind !== 'd') {
      // unknown dir: its parent will be rescanned and walk it
      return
    }
    const before = this.children.get(rel) ?? new Set<Bytes>()
    this.beforeRead?.(rel)
    const dir = this.openDir(rel)
    if (dir === null) {
      this.forget(rel, false)
      return
    }
    let stats: UpperEntry[] | null
    try {
      stats = withCwdAt(dir, (at) => {
        const names = this.readNames(dir, rel)
        if (names === null) return null
        const out: UpperEntry[] = []
        for (const name of names) {
          const e = this.statEntry(at(name), joinRel(rel, name))
          if (e) out.push(e)
        }
        return out
      })
    } finally {
      closeSync(dir)
    }
    if (stats === null) {
      this.forget(rel, false)
      return
    }
    const now = new Set<Bytes>()
    for (const e of stats) {
      const child = e.rel
      now.add(child)
      const old = this.entries.get(child)
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

  /** Depth first, holding one descriptor per level of the walk (never more than the tree is deep). */
  private async scanTree(start: Bytes): Promise<void> {
    const first = this.openDir(start)
    if (first === null) return
    const stack: { fd: number; dirs: Bytes[] }[] = []
    let work = 0
    let nextYield = 4096
    const enter = (fd: number, dir: Bytes) => {
      const frame = { fd, dirs: [] as Bytes[] }
      stack.push(frame)
      this.beforeRead?.(dir)
      const names = this.readNames(fd, dir)
      if (names === null) return
      const kids = new Set<Bytes>()
      withCwdAt(fd, (at) => {
        for (const name of names) {
          const rel = joinRel(dir, name)
          const e = this.statEntry(at(name), rel)
          if (!e) continue
          kids.add(rel)
          this.entries.set(rel, e)
          if (e.kind === 'd') frame.dirs.push(rel)
          work++
        }
      })
      this.children.set(dir, kids)
    }
    try {
      enter(first, start)
      while (stack.length > 0) {
        const top = stack[stack.length - 1]
        const next = top.dirs.pop()
        if (next === undefined) {
          closeSync(top.fd)
          stack.pop()
          continue
        }
        let fd: number
        try {
          fd = openDirSync(top.fd, baseName(next), 'upper', next)
        } catch {
          continue // gone or replaced since its lstat: the next rescan of its parent sees what it is now
        }
        enter(fd, next)
        if (work >= nextYield) {
          nextYield = work + 4096
          await yieldToLoop()
        }
      }
    } finally {
      for (const f of stack) closeSync(f.fd)
    }
  }

  /** Descriptor of upper directory `rel`, or null when it is gone or no longer a directory there. */
  private openDir(rel: Bytes): number | null {
    try {
      return openTreeDirSync(this.root, rel, 'upper')
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return null
      throw err
    }
  }

  private readNames(fd: number, dir: Bytes): Bytes[] | null {
    try {
      const names = readdirSync(procPath(fd), { encoding: 'latin1' }) as unknown as Bytes[]
      // the root's whiteouts of gluster's names and the name-lock file are never the user's (hidden-names.ts)
      return dir === '' ? names.filter((n) => !isHiddenRootName(n)) : names
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'ENOENT' || code === 'ENOTDIR') return null
      if (dir === '') throw err
      this.problems.set(dir, `cannot read directory: ${(err as Error).message}`)
      return null
    }
  }

  /** `path` names the entry relative to its open directory (see withCwdAt). */
  private statEntry(path: Buffer | string, rel: Bytes): UpperEntry | null {
    try {
      return entryFromStat(rel, lstatSync(path))
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
