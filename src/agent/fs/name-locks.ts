// The two agents change or remove a name gv0 already holds only under that name's lock, so one never
// replaces what the other placed a moment before. A check then a rename is no compare-and-swap: gluster
// has none, and each client caches what it looked up (FUSE entry and attribute timeouts, md-cache: a
// second each by default), so a look can show a version the other host replaced seconds ago.
//
// The lock is a POSIX byte-range lock on one file at gv0's root (gluster's locks translator keeps it on
// every brick; replicate takes it on both), at an offset hashed from the name. A holder keeps it `holdMs`
// after its change: by the time the other agent gets it, no cache of its client still shows the name as
// it was before. Node has no fcntl(2): a small perl process holds the locks (perl-base is essential on
// Debian), a few of them so that one lock's round trips do not wait for another's.
import { createHash } from 'node:crypto'
import { createInterface } from 'node:readline'
import type { Bytes } from './paths.ts'
import { startHelper } from './run.ts'

/** The lock file's name at gv0's root: hidden from the union and never published (hidden-names.ts). */
export const NAME_LOCK_FILE = '.gfs-writecache.lock'

export interface NameHold {
  /** `changed`: gv0's entry was changed under the lock, which then stays held `holdMs` longer */
  release(changed: boolean): void
}

export interface NameLocks {
  /** Waits for `rel`'s lock; throws when the other host holds it longer than the wait allowed. */
  hold(rel: Bytes): Promise<NameHold>
  /** Lets go: locks still in their hold are released by the helper once that time is up. */
  close(): void
}

/**
 * Runs `fn` under `rel`'s lock; `fn` calls `changed()` once it changed gv0 there, so the lock stays held for
 * the hold time after it.
 */
export async function underNameLock<T>(locks: NameLocks, rel: Bytes, fn: (changed: () => void) => Promise<T>): Promise<T> {
  const hold = await locks.hold(rel)
  let changed = false
  try {
    return await fn(() => (changed = true))
  } finally {
    hold.release(changed)
  }
}

// struct flock on x86_64 and arm64: short l_type, short l_whence, (pad), off_t l_start, off_t l_len, pid_t l_pid, (pad)
const HELPER = String.raw`
use strict; use Fcntl qw(F_SETLK F_WRLCK F_UNLCK SEEK_SET O_RDWR O_CREAT);
$| = 1; $SIG{TERM} = 'IGNORE'; $SIG{INT} = 'IGNORE';
my ($file, $hold) = @ARGV; $0 = "gfs-writecache name locks $file";
my ($fh, %held);
# open only while something is held: an open file would keep gv0's mount busy
sub opened { $fh or sysopen($fh, $file, O_RDWR | O_CREAT, 0600) or do { undef $fh; return 0 }; 1 }
sub idle { if (!%held && $fh) { close($fh); undef $fh } }
sub lk { fcntl($fh, F_SETLK, pack('s s x4 q q i x4', $_[0], SEEK_SET, $_[1], 1, 0)) }
opened() or do { print "E 0 $!
"; exit 1 };
idle();
print "R
";
while (my $l = <STDIN>) {
  my ($op, $id, $off) = split ' ', $l;
  if ($op eq 'L') {
    if (!opened()) { print "E $id $!
" }
    elsif (lk(F_WRLCK, $off)) { $held{$off} = 1; print "K $id
" }
    elsif ($! + 0 == 11 || $! + 0 == 13) { print "B $id
" }
    else { print "E $id $!
" }
  } elsif ($op eq 'U' && $fh) { lk(F_UNLCK, $off); delete $held{$off} }
  idle();
}
# the agent is gone (stopped, or killed right after a change): what it holds stays held a hold longer
select(undef, undef, undef, $hold / 1000) if %held;
`

/** The lock offset of a gv0 name: the same on every host. */
export function lockOffset(rel: Bytes): number {
  return createHash('sha256').update(Buffer.from(rel, 'latin1')).digest().readUIntBE(0, 6)
}

type Reply = { kind: 'K' | 'B' | 'E'; text: string }

/** One perl process and the replies it owes. */
class Helper {
  private readonly child: ReturnType<typeof startHelper>
  private readonly waiting = new Map<number, (r: Reply) => void>()
  private next = 1
  readonly ready: Promise<void>
  dead: string | null = null

  constructor(file: string, holdMs: number, onDeath: (why: string) => void) {
    this.child = startHelper('perl', ['-e', HELPER, file, String(holdMs)])
    const lines = createInterface({ input: this.child.stdout! })
    let started: (err?: Error) => void = () => {}
    this.ready = new Promise<void>((ok, fail) => (started = (err) => (err ? fail(err) : ok())))
    lines.on('line', (line) => {
      const [kind, id, ...rest] = line.split(' ')
      if (kind === 'R') return started()
      if (id === '0') return started(new Error(`cannot open gv0's name lock file ${file}: ${rest.join(' ')}`))
      this.waiting.get(Number(id))?.({ kind: kind as Reply['kind'], text: rest.join(' ') })
      this.waiting.delete(Number(id))
      this.busy(false)
    })
    const die = (why: string) => {
      if (this.dead) return
      this.dead = why
      started(new Error(why))
      for (const w of this.waiting.values()) w({ kind: 'E', text: why })
      this.waiting.clear()
      onDeath(why)
    }
    this.child.on('error', (err) => die(`the name lock helper (perl) did not start: ${err.message}`))
    this.child.on('exit', (code, sig) => die(`the name lock helper exited (${sig ?? code})`))
    this.child.stdin!.on('error', () => {})
    // an idle helper never keeps a process alive; one that owes a reply does (busy())
    this.child.unref()
    this.pipe(this.child.stdin).unref?.()
    this.busy(true)
    this.ready.then(() => this.busy(false), () => this.busy(false))
  }

  private pipe(s: unknown): { ref?: () => void; unref?: () => void } {
    return (s ?? {}) as { ref?: () => void; unref?: () => void }
  }

  private busy(yes: boolean): void {
    const out = this.pipe(this.child.stdout)
    if (yes) out.ref?.()
    else if (this.waiting.size === 0) out.unref?.()
  }

  async tryLock(off: number): Promise<Reply> {
    await this.ready
    if (this.dead) return { kind: 'E', text: this.dead }
    const id = this.next++
    return await new Promise<Reply>((resolve) => {
      this.waiting.set(id, resolve)
      this.busy(true)
      this.child.stdin!.write(`L ${id} ${off}\n`)
    })
  }

  unlock(off: number): void {
    if (!this.dead) this.child.stdin!.write(`U 0 ${off}\n`)
  }

  close(): void {
    // an exit after this is the helper's own end, no death to report
    this.dead ??= 'closed'
    this.child.stdin!.end()
  }

  kill(): void {
    this.child.kill('SIGKILL')
  }
}

type Held = { users: number; until: number; timer?: NodeJS.Timeout; ready: Promise<void>; helper: Helper }

export interface NameLockOptions {
  /** how long a holder keeps a lock after its change: longer than any cache of a gluster client lasts */
  holdMs: number
  /** how long to wait for a lock the other host holds before giving up (the publish is retried later) */
  waitMs: number
  /** perl processes, each serving the offsets that fall to it */
  helpers?: number
  log?: (message: string) => void
}

export class GlusterNameLocks implements NameLocks {
  private readonly helpers: (Helper | null)[]
  private readonly held = new Map<number, Held>()

  constructor(
    private readonly file: string,
    private readonly opts: NameLockOptions,
  ) {
    this.helpers = new Array(opts.helpers ?? 4).fill(null)
  }

  async hold(rel: Bytes): Promise<NameHold> {
    const off = lockOffset(rel)
    let h = this.held.get(off)
    if (h) {
      // this process holds it already (another name of the same offset, or still in its hold)
      h.users++
      clearTimeout(h.timer)
      h.timer = undefined
    } else {
      const helper = this.helperFor(off)
      h = { users: 1, until: 0, helper, ready: this.acquire(helper, off, rel) }
      this.held.set(off, h)
    }
    try {
      await h.ready
    } catch (err) {
      h.users--
      if (this.held.get(off) === h) this.held.delete(off)
      throw err
    }
    let released = false
    return {
      release: (changed) => {
        if (released) return
        released = true
        this.release(off, h!, changed)
      },
    }
  }

  close(): void {
    for (const h of this.helpers) h?.close()
    this.helpers.fill(null)
    for (const h of this.held.values()) clearTimeout(h.timer)
    this.held.clear()
  }

  private helperFor(off: number): Helper {
    const i = off % this.helpers.length
    let h = this.helpers[i]
    if (!h || h.dead) {
      const made: Helper = new Helper(this.file, this.opts.holdMs, (why) => {
        if (this.helpers[i] === made) this.helpers[i] = null
        for (const [o, x] of this.held) if (x.helper === made) this.held.delete(o)
        this.opts.log?.(`gv0 name locks: ${why}`)
      })
      h = this.helpers[i] = made
    }
    return h
  }

  private async acquire(helper: Helper, off: number, rel: Bytes): Promise<void> {
    const began = Date.now()
    for (let attempt = 0; ; attempt++) {
      const r = await helper.tryLock(off)
      if (r.kind === 'K') return
      if (r.kind === 'E') {
        // its file handle may be on a gluster client that died and was mounted again: the next hold starts a new one
        helper.kill()
        throw new Error(`gv0 name lock for ${rel}: ${r.text}`)
      }
      if (Date.now() - began > this.opts.waitMs) {
        const err: NodeJS.ErrnoException = new Error(`gv0 name lock for ${rel}: held by the other host for over ${Math.round(this.opts.waitMs / 1000)} s`)
        err.code = 'EBUSY'
        throw err
      }
      await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** attempt, 500)))
    }
  }

  private release(off: number, h: Held, changed: boolean): void {
    if (changed) h.until = Math.max(h.until, Date.now() + this.opts.holdMs)
    if (--h.users > 0) return
    const unlock = () => {
      if (this.held.get(off) !== h || h.users > 0) return
      this.held.delete(off)
      h.helper.unlock(off)
    }
    const wait = h.until - Date.now()
    if (wait <= 0) return unlock()
    h.timer = setTimeout(unlock, wait)
    h.timer.unref()
  }
}
