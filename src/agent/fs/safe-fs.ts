// Symlink-safe access below one root (gv0 or upper). Both trees are writable by others (the other host,
// ordinary users through the union), and the agent runs as root: a directory swapped for a symlink must
// never take an operation outside the tree. Node has no openat(), so every directory on the way is opened
// with O_PATH|O_DIRECTORY|O_NOFOLLOW relative to its parent's descriptor (/proc/self/fd/N/name): a
// symlinked component fails there, and the final name is addressed as /proc/self/fd/N/name with
// operations that never follow it. A directory descriptor stays on the directory it was opened on, so
// whatever is renamed later, the operation stays inside the tree. Walking component by component also
// lifts PATH_MAX: no path the kernel sees is longer than /proc/self/fd/N/ plus one name.
import { close as closeCb, closeSync, constants, fstat as fstatCb, open as openCb, openSync, type Stats } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'
import * as fsp from 'node:fs/promises'
import { promisify } from 'node:util'
import { DIR_FLAGS, O_PATH, procPath, symlinkInPath } from './dir-handles.ts'
import { baseName, fsPath, parentRel, type Bytes } from './paths.ts'

const openP = promisify(openCb)
const closeP = promisify(closeCb)
const fstatP = promisify(fstatCb)
const code = (err: unknown) => (err as NodeJS.ErrnoException).code

interface Slot {
  fd: number
  pins: number
  /** invalidated while pinned: closed at its last release */
  dead: boolean
}

/**
 * Directory handles below one root, cached for the length of a pass (close() at its end) and bounded:
 * unpinned handles beyond `max` are closed, oldest use first. Every operation pins the handles it
 * addresses through, so a descriptor number is never closed (and reused) while a path names it.
 */
export class SafeTree {
  private readonly dirs = new Map<Bytes, Slot>()
  private readonly opening = new Map<Bytes, { done: Promise<Slot>; waiters: number }>()

  constructor(
    readonly root: Bytes,
    /** names the tree in messages: gv0 or upper */
    readonly label: string,
    /**
     * Whether a path through a symlink counts as "nothing there" for lstatOrNull. True for upper: a
     * symlink is an entry of its own there, and what lies behind it is not in the cache. False for gv0,
     * where such a path is reported, since this host's entry cannot go there.
     */
    private readonly linkedIsAbsent = false,
    private readonly max = 512,
  ) {}

  private async acquire(rel: Bytes): Promise<Slot> {
    const have = this.dirs.get(rel)
    if (have) {
      have.pins++
      this.dirs.delete(rel)
      this.dirs.set(rel, have)
      return have
    }
    const pending = this.opening.get(rel)
    if (pending) {
      pending.waiters++
      return pending.done
    }
    const rec = { done: null as unknown as Promise<Slot>, waiters: 1 }
    rec.done = this.openDir(rel, rec).finally(() => this.opening.delete(rel))
    this.opening.set(rel, rec)
    return rec.done
  }

  private async openDir(rel: Bytes, rec: { waiters: number }): Promise<Slot> {
    let fd: number
    if (rel === '') {
      // the configured root itself may be reached through symlinks: it is the administrator's path
      fd = await openP(fsPath(this.root), O_PATH | constants.O_DIRECTORY)
    } else {
      const parent = await this.acquire(parentRel(rel))
      try {
        fd = await this.openChild(parent.fd, rel)
      } finally {
        this.release(parent)
      }
    }
    const slot = { fd, pins: rec.waiters, dead: false }
    this.dirs.set(rel, slot)
    return slot
  }

  private async openChild(parentFd: number, rel: Bytes): Promise<number> {
    const path = procPath(parentFd, baseName(rel))
    try {
      return await openP(path, DIR_FLAGS)
    } catch (err) {
      if (code(err) === 'ENOTDIR' && (await fsp.lstat(path).catch(() => null))?.isSymbolicLink()) throw symlinkInPath(this.label, rel)
      throw err
    }
  }

  private release(slot: Slot): void {
    slot.pins--
    if (slot.dead) {
      if (slot.pins === 0) closeCb(slot.fd, () => {})
      return
    }
    if (this.dirs.size <= this.max) return
    for (const [rel, s] of this.dirs) {
      if (this.dirs.size <= this.max) break
      if (rel === '' || s.pins > 0) continue
      this.dirs.delete(rel)
      closeCb(s.fd, () => {})
    }
  }

  /** Forgets handles of `rel` and below after the agent removed or renamed it. */
  private invalidate(rel: Bytes): void {
    if (rel === '') return
    const below = rel + '/'
    for (const [k, s] of this.dirs) {
      if (k !== rel && !k.startsWith(below)) continue
      this.dirs.delete(k)
      if (s.pins === 0) closeCb(s.fd, () => {})
      else s.dead = true
    }
  }

  /** Runs `fn` on the safe path of `rel` (its parent held open); the final name must not be followed by fn. */
  async at<T>(rel: Bytes, fn: (path: Buffer) => Promise<T>): Promise<T> {
    const slot = await this.acquire(parentRel(rel))
    try {
      return await fn(procPath(slot.fd, baseName(rel)))
    } finally {
      this.release(slot)
    }
  }

  /** Runs `fn` on the descriptor of directory `rel` itself (opened without following it). */
  async inDir<T>(rel: Bytes, fn: (fd: number) => Promise<T>): Promise<T> {
    const slot = await this.acquire(rel)
    try {
      return await fn(slot.fd)
    } finally {
      this.release(slot)
    }
  }

  lstat(rel: Bytes): Promise<Stats> {
    return this.at(rel, (p) => fsp.lstat(p))
  }

  /** lstat that answers null for "nothing there"; a symlinked component is an error (ELOOP), not absence. */
  async lstatOrNull(rel: Bytes): Promise<Stats | null> {
    try {
      return await this.lstat(rel)
    } catch (err) {
      if (code(err) === 'ENOENT' || code(err) === 'ENOTDIR') return null
      if (this.linkedIsAbsent && code(err) === 'ELOOP') return null
      throw err
    }
  }

  /** Opens `rel` with O_NOFOLLOW added: a symlink at the final name fails with ELOOP. */
  open(rel: Bytes, flags: number, mode?: number): Promise<FileHandle> {
    return this.at(rel, (p) => fsp.open(p, flags | constants.O_NOFOLLOW, mode))
  }

  /** Like open() but a raw descriptor (for handing to child processes); the caller closes it. Synchronous
   * underneath: it serves the local upper dir, where a thread-pool hop costs more than the open. */
  openFd(rel: Bytes, flags: number): Promise<number> {
    return this.at(rel, async (p) => openSync(p, flags | constants.O_NOFOLLOW))
  }

  readdir(rel: Bytes): Promise<Bytes[]> {
    return this.inDir(rel, async (fd) => (await fsp.readdir(procPath(fd), { encoding: 'latin1' })) as unknown as Bytes[])
  }

  readlink(rel: Bytes): Promise<Buffer> {
    return this.at(rel, (p) => fsp.readlink(p, { encoding: 'buffer' }))
  }

  unlink(rel: Bytes): Promise<void> {
    return this.at(rel, (p) => fsp.unlink(p))
  }

  async rmdir(rel: Bytes): Promise<void> {
    await this.at(rel, (p) => fsp.rmdir(p))
    this.invalidate(rel)
  }

  async mkdir(rel: Bytes, mode: number): Promise<void> {
    await this.at(rel, (p) => fsp.mkdir(p, { mode }))
    // a handle cached for an earlier directory of this name (removed by the other host) is stale now
    this.invalidate(rel)
  }

  symlink(target: Buffer, rel: Bytes): Promise<void> {
    return this.at(rel, (p) => fsp.symlink(target, p))
  }

  lchown(rel: Bytes, uid: number, gid: number): Promise<void> {
    return this.at(rel, (p) => fsp.lchown(p, uid, gid))
  }

  lutimes(rel: Bytes, atime: number, mtime: number): Promise<void> {
    return this.at(rel, (p) => fsp.lutimes(p, atime, mtime))
  }

  /** chmod of `rel` itself; Linux has no lchmod, so the entry is pinned by an O_PATH handle and checked. */
  chmod(rel: Bytes, mode: number): Promise<void> {
    return this.at(rel, async (p) => {
      const fd = await openP(p, O_PATH | constants.O_NOFOLLOW)
      try {
        if ((await fstatP(fd)).isSymbolicLink()) throw symlinkInPath(this.label, rel)
        await fsp.chmod(procPath(fd), mode)
      } finally {
        await closeP(fd)
      }
    })
  }

  async rename(from: Bytes, to: Bytes): Promise<void> {
    await this.at(from, (a) => this.at(to, (b) => fsp.rename(a, b)))
    this.invalidate(from)
    this.invalidate(to)
  }

  /** link(2) of `existing` (never followed) under the new name `rel`. */
  link(existing: Bytes, rel: Bytes): Promise<void> {
    return this.at(existing, (a) => this.at(rel, (b) => fsp.link(a, b)))
  }

  /**
   * Closes every handle (end of a pass); the tree can be used again and reopens what it needs. At once,
   * not through the thread pool: a handle open on gv0 keeps its mount busy (umount fails with EBUSY).
   */
  close(): void {
    for (const s of this.dirs.values()) {
      if (s.pins === 0) closeSync(s.fd)
      else s.dead = true
    }
    this.dirs.clear()
  }
}
