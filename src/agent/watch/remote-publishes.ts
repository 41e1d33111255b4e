// The other host's publishes, as the cue for a dentry drop. overlayfs keeps a name it looked up in gv0 as
// it was: a file the other host replaced answers ESTALE through a gv0-lower union (a brick-lower one may keep
// showing the old bytes), and a name it created stays missing, until the union's dentries are dropped. So after a
// pass that changed gv0 each agent stamps gv0's root with an xattr of its own (`user.gfs-writecache.published.
// HOST`), and every agent reads the others' stamps every few seconds: a new one calls for a drop now rather than
// at the next `dentryDropSeconds`. (Not the root's ctime: with gluster's ctime feature an xattr leaves it alone.)
import { notStarted, run } from '../fs/run.ts'

export const STAMP_XATTR = 'user.gfs-writecache.published'

const STAMP_LINE = /^user\.gfs-writecache\.published\.([^=\s]+)="?([^"\n]*)"?$/gm

/** The other hosts' stamps in `getfattr -d` output, as one comparable text. */
export function othersStamps(getfattrOutput: string, host: string): string {
  return [...getfattrOutput.matchAll(STAMP_LINE)]
    .filter((m) => m[1] !== host)
    .map((m) => `${m[1]}=${m[2]}`)
    .sort()
    .join(' ')
}

export class RemotePublishes {
  private seen: string | null = null
  private looking = false
  private moved = false
  private stamped = 0
  private stamping = false
  private stampAgainAt = -Infinity
  private lastLook = -Infinity
  private cued = false
  /** a name in use at a drop keeps its dentry: a cued drop is made once more, everyMs later */
  private again = false

  /**
   * `root`: gv0's mount (the root of the volume); `host`: this host, whose own stamps are no cue; `everyMs`:
   * how often the stamps are read, and the least time between two drops they call for.
   */
  constructor(
    private readonly root: string,
    private readonly host: string,
    private readonly everyMs = 2000,
  ) {}

  /**
   * Stamps gv0's root when this process's passes changed gv0 since the last stamp that took (`changes`: their
   * running count; `now`: the monotonic clock). One stamp at a time, without waiting for it; a stamp that failed
   * is tried again `everyMs` later.
   */
  noteChanges(changes: number, now: number): void {
    if (changes === this.stamped || this.stamping || now < this.stampAgainAt) return
    this.stamping = true
    void this.stamp()
      .then((ok) => {
        if (ok) this.stamped = changes
        else this.stampAgainAt = now + this.everyMs
      })
      .finally(() => (this.stamping = false))
  }

  /** Stamps now if `changes` moved since the last stamp that took, waiting for it (the agent's last act on the way out). */
  async stampNow(changes: number): Promise<void> {
    if (changes !== this.stamped && (await this.stamp())) this.stamped = changes
  }

  /** Reads the other hosts' stamps, at most every `everyMs` (`now`: the monotonic clock), without waiting for the read. */
  poll(now: number): void {
    if (now - this.lastLook < this.everyMs) return
    this.lastLook = now
    void this.look()
  }

  /** Whether the other hosts' publishes call for a drop now, `sinceDropMs` after the last one. */
  dropCalled(sinceDropMs: number): boolean {
    if (this.takeChange()) this.cued = this.again = true
    return this.cued && sinceDropMs >= this.everyMs
  }

  /** A drop was made, for whatever reason: a cue is answered (the second drop of a cue still to come). */
  dropped(): void {
    this.cued = this.again
    this.again = false
  }

  /** After a pass that changed gv0. Best effort: a volume without quorum refuses it, and the periodic drop still comes. */
  async stamp(): Promise<boolean> {
    const r = await run('setfattr', ['-n', `${STAMP_XATTR}.${this.host}`, '-v', String(Date.now()), this.root], { timeoutMs: 5000 }).catch(notStarted)
    return r.code === 0
  }

  /**
   * Reads the other hosts' stamps unless a read is under way; the caller need not wait for it (a gv0 that
   * does not answer, cut off, must not hold it up). takeChange() says what the reads found.
   */
  async look(): Promise<void> {
    if (this.looking) return
    this.looking = true
    try {
      const r = await run('getfattr', ['-d', '-m', `^${STAMP_XATTR.replace(/\./g, '\\.')}\\.`, '--absolute-names', this.root], { stdout: true, cLocale: true, timeoutMs: 5000 }).catch(notStarted)
      if (r.code !== 0) return
      const now = othersStamps(r.stdout.toString('latin1'), this.host)
      if (this.seen !== null && now !== this.seen) this.moved = true
      this.seen = now
    } finally {
      this.looking = false
    }
  }

  /** Whether a read found another host's new stamp since the read before it (the first read only records); once. */
  takeChange(): boolean {
    const m = this.moved
    this.moved = false
    return m
  }
}
