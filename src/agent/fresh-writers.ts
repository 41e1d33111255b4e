// Writers as of a recent enough moment. One /proc walk per pass is not enough: a file opened after it
// would look closed to every later decision of that pass, however long the pass takes.
import { openWriters, type Writers } from './open-files.ts'
import type { Clock } from './observations.ts'
import type { Bytes } from './paths.ts'

/** How stale a look may be right before a copy or a rename, at least: a walk of /proc costs tens of
 * milliseconds (more under load), and a small file is copied in less. */
const FRESH_MS = 100

export class WriterSnapshots {
  private writers: Writers | null = null
  /** on the agent's clock, to compare with its observations */
  private takenAt = -Infinity
  /** on the real monotonic clock, for the age of the walk itself */
  private takenReal = -Infinity
  private cost = 0

  constructor(
    private readonly roots: string[],
    private readonly clock: Clock,
  ) {}

  private take(): Writers {
    // stamped before the walk: it shows every writer that opened before then and still holds the file
    this.takenAt = this.clock.mono()
    this.takenReal = performance.now()
    this.writers = openWriters(this.roots)
    this.cost = performance.now() - this.takenReal
    return this.writers
  }

  /** Drops the last walk: each pass decides on a walk of its own. */
  forget(): void {
    this.writers = null
  }

  /**
   * Writers as of a walk that started after `seenAt` (when the entry was first seen as it is now). A
   * writer that opened later and wrote changed the entry, which the copy's checks see; one that opened
   * earlier and still holds it is in that walk.
   */
  after(seenAt: number): Writers {
    return this.writers && this.takenAt > seenAt ? this.writers : this.take()
  }

  /** Writers now, give or take a few milliseconds (more when walking /proc is slow, to bound its cost). */
  now(): Writers {
    const maxAge = Math.max(FRESH_MS, 4 * this.cost)
    return this.writers && performance.now() - this.takenReal <= maxAge ? this.writers : this.take()
  }

  /** Why the upper file `rel` is being written right now, or null. */
  busy(rel: Bytes): string | null {
    const w = this.now()
    if (!w.paths.has(rel)) return null
    const pids = w.byPath.get(rel) ?? []
    return `${w.mapped.has(rel) ? 'mapped shared and writable' : 'opened for writing'} during publish by pid ${pids.join(', ')}`
  }
}
