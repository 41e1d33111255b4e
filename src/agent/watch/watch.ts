// inotify on every upper directory (fs.watch is per directory on Linux in Node 18), so changes are
// published within the settle time; the periodic full scan covers anything a watch misses.
import { watch, type FSWatcher } from 'node:fs'
import type { Log } from '../service/log.ts'
import { fsPath, type Bytes } from '../fs/paths.ts'
import type { UpperIndex } from './scan.ts'

export class UpperWatcher {
  readonly dirty = new Set<Bytes>()
  private readonly watchers = new Map<Bytes, FSWatcher>()
  private degraded = false

  constructor(
    private readonly root: Bytes,
    private readonly onChange: () => void,
    private readonly log: Log,
  ) {}

  /** Watches directories the index knows and drops watches of directories that are gone. */
  sync(index: UpperIndex): void {
    const dirs = new Set<Bytes>([''])
    for (const e of index.entries.values()) if (e.kind === 'd') dirs.add(e.rel)
    for (const [rel, w] of this.watchers) {
      if (!dirs.has(rel)) {
        w.close()
        this.watchers.delete(rel)
      }
    }
    for (const rel of dirs) this.watch(rel)
  }

  /**
   * Watches one directory, if not yet (the index calls this before it reads a directory, so a change after
   * the read raises an event). A watch that cannot be placed leaves the directory to the periodic scan.
   */
  watch(rel: Bytes): void {
    if (this.degraded || this.watchers.has(rel)) return
    try {
      const w = watch(fsPath(this.root, rel), { persistent: false, encoding: 'buffer' }, () => {
        this.dirty.add(rel)
        this.onChange()
      })
      w.on('error', () => {
        w.close()
        this.watchers.delete(rel)
        this.dirty.add(rel)
      })
      this.watchers.set(rel, w)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'ENOSPC' || code === 'EMFILE') {
        this.degraded = true
        this.log(`inotify watch limit reached (${code}): relying on the periodic scan for the rest`, 'warning')
      }
      // directory vanished between scan and watch: nothing to do
    }
  }

  /** Number of directories watched (reported in logs and tests). */
  get size(): number {
    return this.watchers.size
  }

  /** Stops all watches. */
  close(): void {
    for (const w of this.watchers.values()) w.close()
    this.watchers.clear()
  }
}
