// Writers as of a recent enough moment. One /proc walk per pass is not enough: a file opened after it
// would look closed to every later decision of that pass, however long the pass takes.
import { readdir, readFile, readlink } from 'node:fs/promises'
import { openWriters, type Writers } from './open-files.ts'
import type { Clock } from '../core/observations.ts'
import { toBytes, type Bytes } from '../fs/paths.ts'

/**
 * How old a look at /proc may be right before a copy or a rename (parallel publishes share one): 20 ms,
 * or four times what the last walk took, so walking /proc stays a small part of the work.
 */
const FRESH_MS = 20

/** Byte-string paths (under the roots) open for writing, by pid: descriptors only, without blocking the loop. */
async function writableFds(roots: Bytes[]): Promise<Map<Bytes, number[]>> {
  const out = new Map<Bytes, number[]>()
  const pids = (await readdir('/proc')).filter((n) => /^\d+$/.test(n) && Number(n) !== process.pid)
  const one = async (pid: string) => {
    let fds: string[]
    try {
      fds = await readdir(`/proc/${pid}/fd`)
    } catch {
      return
    }
    for (const fd of fds) {
      let target: Bytes
      try {
        target = (await readlink(`/proc/${pid}/fd/${fd}`, { encoding: 'latin1' })) as Bytes
      } catch {
        continue
      }
      const root = roots.find((r) => target.startsWith(r + '/'))
      if (!root) continue
      try {
        const info = await readFile(`/proc/${pid}/fdinfo/${fd}`, 'latin1')
        if ((parseInt(/flags:\s*([0-7]+)/.exec(info)?.[1] ?? '0', 8) & 3) === 0) continue
      } catch {
        continue
      }
      const rel = target.slice(root.length + 1).replace(/ \(deleted\)$/, '')
      out.set(rel, [...(out.get(rel) ?? []), Number(pid)])
    }
  }
  for (let i = 0; i < pids.length; i += 16) await Promise.all(pids.slice(i, i + 16).map(one))
  return out
}

export class WriterSnapshots {
  private writers: Writers | null = null
  /** on the agent's clock, to compare with its observations */
  private takenAt = -Infinity
  private readonly rootBytes: Bytes[]
  /** the last walk of either kind: when it started (real monotonic ms) and what it found */
  private quick: { at: number; walk: Promise<Map<Bytes, number[]>> } | null = null
  private cost = 0

  constructor(
    private readonly roots: string[],
    private readonly clock: Clock,
  ) {
    this.rootBytes = roots.map(toBytes)
  }

  /** Drops the last walk: each pass decides on a walk of its own. */
  forget(): void {
    this.writers = null
  }

  /**
   * Writers (descriptors and shared writable mappings) as of a walk that started after `seenAt`, when the
   * entry was first seen as it is now. A writer that opened later and wrote changed the entry, which the
   * copy's checks see; one that opened earlier and still holds it is in that walk.
   */
  after(seenAt: number): Writers {
    if (this.writers && this.takenAt > seenAt) return this.writers
    // stamped before the walk: it shows every writer that opened before then and still holds the file
    this.takenAt = this.clock.mono()
    const at = performance.now()
    this.writers = openWriters(this.roots)
    this.cost = performance.now() - at
    this.quick = { at, walk: Promise.resolve(this.writers.byPath) }
    return this.writers
  }

  /**
   * Why the upper file `rel` is open for writing right now (a look at most FRESH_MS old), or null. Only
   * descriptors: a shared mapping needs a descriptor to be made, and writes through it move the mtime.
   */
  async busy(rel: Bytes): Promise<string | null> {
    const now = performance.now()
    if (!this.quick || now - this.quick.at > Math.max(FRESH_MS, 4 * this.cost)) {
      const walk = writableFds(this.rootBytes)
      this.quick = { at: now, walk }
      void walk.then(() => (this.cost = performance.now() - now), () => {})
    }
    const pids = (await this.quick.walk).get(rel)
    return pids ? `opened for writing during publish by pid ${pids.join(', ')}` : null
  }
}
