// The agent's core: an index of upper, the state store, and publish passes over what is pending.
// The daemon, the CLI's offline commands and the tests all drive this one object.
import { statfsSync } from 'node:fs'
import { lstat } from 'node:fs/promises'
import type { AgentConfig } from './config.ts'
import type { Log } from './log.ts'
import { linkGroups, linkOrder } from './hard-links.ts'
import { isUnionMounted, lowerProblem } from './mounts.ts'
import { removeLower } from './remove-lower.ts'
import { withParents } from './remote-parents.ts'
import { applyOpaque } from './opaque.ts'
import { deleteHeld, oldestNewName } from './delete-order.ts'
import { WriterSnapshots } from './fresh-writers.ts'
import { DentryDrops } from './no-clobber.ts'
import { Observations, systemClock, type Clock } from './observations.ts'
import { baseName, depthOf, fromBytes, parentRel, toBytes, type Bytes } from './paths.ts'
import { publishDir, publishFile, publishSymlink, type Outcome } from './publish.ts'
import type { PublishContext } from './publish-context.ts'
import { quiescence } from './quiescence.ts'
import { SafeTree } from './safe-fs.ts'
import { entryFromStat, UpperIndex, type UpperEntry } from './scan.ts'
import { StateStore, type PublishRecord } from './state-store.ts'
import type { StatusReport } from './status.ts'
import { isTempName, removeStaleTemps } from './temp-files.ts'
import { AGENT_VERSION } from './version.ts'
import { applyWhiteout } from './whiteout.ts'
import { isOpaque, isXattrWhiteout, readXattrs, type Xattrs } from './xattrs.ts'

/** Errors that mean "gv0 as a whole is not taking writes": stop the pass and back off. */
const GLOBAL_ERRORS = new Set([
  'ENOTCONN', 'EIO', 'ENOSPC', 'EDQUOT', 'EROFS', 'ETIMEDOUT', 'ESTALE', 'ENODEV', 'EHOSTDOWN',
  'EHOSTUNREACH', 'ENETUNREACH', 'ECONNREFUSED', 'ECONNABORTED', 'ENXIO', 'ECONNRESET',
])

export interface PassSummary {
  published: number
  bytes: number
  conflicts: number
  deleted: number
  skipped: number
  failed: number
  blocked: string | null
}

export interface PendingSummary {
  entries: number
  bytes: number
  oldestAgeSeconds: number | null
  /** why some entries are still pending (first few) */
  reasons: string[]
}

interface Backoff {
  until: number
  failures: number
  message: string
}

/** True when an upper entry needs no further work in gv0. */
export function isDone(e: UpperEntry, rec: PublishRecord | undefined): boolean {
  if (!rec || rec.r) return false
  switch (e.kind) {
    case 'd':
      return rec.k === 'd' && rec.i === e.ino && rec.c === e.ctimeMs
    case 'w':
      return rec.k === 'w' && rec.i === e.ino
    case 'f':
      if (rec.k === 'w' && e.size === 0 && rec.i === e.ino) return true
      return rec.k === 'f' && rec.i === e.ino && rec.s === e.size && rec.m === e.mtimeMs && rec.c === e.ctimeMs
    case 'l':
      return rec.k === 'l' && rec.i === e.ino && rec.m === e.mtimeMs && rec.c === e.ctimeMs
    default:
      return true
  }
}

async function pool<T>(items: T[], width: number, fn: (item: T) => Promise<boolean>): Promise<void> {
  let next = 0
  let stop = false
  const worker = async () => {
    while (!stop && next < items.length) {
      const item = items[next++]
      if (!(await fn(item))) stop = true
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(width, items.length)) }, worker))
}

/**
 * Orders entries round-robin over their parent directories. gv0's FUSE mount runs one lookup, create or
 * rename at a time per directory, so parallel publishes only overlap those steps when they work in
 * different directories; in index order the workers would all queue on the first directory.
 */
export function acrossDirs(entries: UpperEntry[]): UpperEntry[] {
  const byDir = new Map<Bytes, UpperEntry[]>()
  for (const e of entries) {
    const d = parentRel(e.rel)
    const l = byDir.get(d)
    if (l) l.push(e)
    else byDir.set(d, [e])
  }
  if (byDir.size <= 1) return entries
  const lists = [...byDir.values()]
  const out: UpperEntry[] = []
  for (let i = 0; out.length < entries.length; i++) for (const l of lists) if (i < l.length) out.push(l[i])
  return out
}

export class Agent {
  readonly state: StateStore
  readonly index: UpperIndex
  readonly upper: Bytes
  readonly lower: Bytes
  running = false
  private readonly errors = new Map<string, { time: string; message: string }>()
  private errorsTotal = 0
  private globalBackoff: Backoff | null = null
  private readonly entryBackoff = new Map<Bytes, Backoff>()
  private readonly notReady = new Map<Bytes, string>()
  private readonly unsupportedReported = new Set<Bytes>()
  private readonly warned = new Set<string>()
  private readonly rateWindow: { t: number; bytes: number }[] = []
  private readonly startedAt = Date.now()
  private chain: Promise<unknown> = Promise.resolve()
  /** monotonic clock for settle times and backoff (injectable, so tests drive it) */
  readonly clock: Clock
  readonly obs: Observations
  private readonly writers: WriterSnapshots
  /** this process's dentry drops: they bound how long a negative dentry can have been stale */
  private readonly drops = new DentryDrops()

  constructor(
    readonly cfg: AgentConfig,
    private readonly log: Log = () => {},
    opts: { clock?: Clock } = {},
  ) {
    this.state = new StateStore(cfg.stateDir)
    this.upper = toBytes(cfg.upper)
    this.lower = toBytes(cfg.lower)
    this.index = new UpperIndex(this.upper)
    this.clock = opts.clock ?? systemClock
    this.obs = new Observations(cfg.stateDir, this.clock)
    this.writers = new WriterSnapshots([cfg.union, cfg.upper], this.clock)
  }

  /** Runs operations one at a time (passes, evicts, flushes never overlap). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn)
    this.chain = run.catch(() => {})
    return run
  }

  /** Loads state and walks upper once. */
  async open(): Promise<void> {
    this.state.load()
    const ino = (await lstat(this.cfg.upper)).ino
    if (this.state.upperIno !== ino) {
      if (this.state.upperIno !== null) {
        // another upper dir (cache disk replaced or re-created): old records are baselines only
        this.log(`upper dir ${this.cfg.upper} is not the one the state was written for: keeping records as baselines only`)
        for (const [rel, rec] of this.state.records) this.state.records.set(rel, { ...rec, r: 1 })
      }
      this.state.upperIno = ino
      this.state.dirty = true
    }
    this.obs.load(ino)
    await this.index.fullScan()
    // a reclaim cut short by a crash: the entry is gone, so gv0's own name shows (no conflict target)
    for (const [rel, rec] of this.state.records) {
      if (rec.r && rec.x && !this.index.entries.has(rel)) this.state.set(rel, { ...rec, x: undefined, h: undefined })
    }
  }

  /** Removes this host's temporaries left by a crash, in every lower dir that mirrors an upper dir. */
  async removeStaleTemps(): Promise<number> {
    const dirs: Bytes[] = ['']
    for (const e of this.index.entries.values()) if (e.kind === 'd') dirs.push(e.rel)
    const lower = new SafeTree(this.lower, 'gv0')
    let n: number
    try {
      n = await removeStaleTemps(lower, dirs, this.cfg.host)
    } finally {
      lower.close()
    }
    if (n) this.log(`removed ${n} stale temporary file(s) in gv0`)
    return n
  }

  /** A pass's context; its directory handles stay open until the pass closes them. */
  private ctx(): PublishContext {
    let groups: Map<number, Bytes[]> | null = null
    return {
      upper: this.upper,
      lower: this.lower,
      lowerFs: new SafeTree(this.lower, 'gv0'),
      upperFs: new SafeTree(this.upper, 'upper', true),
      host: this.cfg.host,
      staleDentryMs: (born) => this.drops.staleMs(born),
      state: this.state,
      now: () => new Date(),
      report: (c) => {
        this.state.addConflict(c)
        this.log(`conflict: ${c.path}: ${c.message}`)
      },
      // built at the first hard link a pass meets: passes without any never walk the index for it
      namesOf: (ino) => (groups ??= linkGroups(this.index.entries.values())).get(ino) ?? [],
      warnOnce: (key, message) => {
        if (this.warned.has(key)) return
        this.warned.add(key)
        this.noteError(key, message)
      },
      busy: (rel) => this.writers.busy(rel),
      upperShownSince: (rel) => this.obs.upperShownSince(rel),
    }
  }

  private noteError(key: string, message: string): void {
    this.errorsTotal++
    this.errors.set(key, { time: new Date().toISOString(), message })
    this.log(`error: ${message}`)
  }

  private backoff(prev: Backoff | undefined | null, message: string): Backoff {
    const failures = (prev?.failures ?? 0) + 1
    const delay = Math.min(this.cfg.retryMaxSeconds * 1000, 500 * 2 ** Math.min(failures - 1, 16))
    return { until: this.clock.mono() + delay, failures, message }
  }

  /** Forgets the global backoff so a user-requested flush retries at once. */
  retryNow(): void {
    if (this.globalBackoff) this.globalBackoff.until = -Infinity
    for (const b of this.entryBackoff.values()) b.until = -Infinity
  }

  /** Entries not yet applied to gv0, parents first. */
  candidates(): UpperEntry[] {
    const out: UpperEntry[] = []
    for (const [rel, why] of this.index.problems) {
      if (this.unsupportedReported.has(rel)) continue
      this.unsupportedReported.add(rel)
      this.noteError(`unreadable:${rel}`, `${fromBytes(rel)}: ${why}`)
    }
    for (const e of this.index.entries.values()) {
      if (e.kind === 'other') {
        if (!this.unsupportedReported.has(e.rel)) {
          this.unsupportedReported.add(e.rel)
          this.noteError(`unsupported:${e.rel}`, `${fromBytes(e.rel)}: sockets, FIFOs and device nodes are not published`)
        }
        continue
      }
      if (isTempName(baseName(e.rel))) {
        // a temporary shown through the union: publishing or deleting it could hit a publish in flight
        if (!this.unsupportedReported.has(e.rel)) {
          this.unsupportedReported.add(e.rel)
          this.noteError(`temp:${e.rel}`, `${fromBytes(e.rel)}: named like a publish temporary: not published`)
        }
        continue
      }
      if (!isDone(e, this.state.get(e.rel))) out.push(e)
    }
    return out.sort((a, b) => depthOf(a.rel) - depthOf(b.rel))
  }

  /**
   * Published names that left upper without a whiteout. overlayfs deletes without a whiteout when
   * it believes the lower layer has no such name, which is the case in a directory that was
   * upper-only when looked up, even after its contents were published: the delete must still
   * reach gv0. A replaced cache (new upper dir) is detected in open() and never counts.
   */
  vanished(): Bytes[] {
    const out: Bytes[] = []
    for (const [rel, rec] of this.state.records) {
      if (rec.r || rec.k === 'w') continue
      if (!this.index.entries.has(rel) && !this.unreadable(rel)) out.push(rel)
    }
    return out.sort((a, b) => depthOf(b) - depthOf(a))
  }

  /**
   * What keeps `flush --wait` from finishing that waiting cannot fix: pending entries whose last attempt
   * failed or that are backed off, and entries of a kind that is never published. Null while anything
   * else is still pending (settling, open, not reached yet) or gv0 as a whole is not taking writes.
   */
  stuck(): string[] | null {
    if (this.globalBackoff) return null
    const out: string[] = []
    const failed = (why: string | undefined) => why !== undefined && (why.startsWith('failed: ') || why.startsWith('retrying later: '))
    for (const e of this.candidates()) {
      const why = this.notReady.get(e.rel)
      if (!failed(why)) return null
      out.push(`${fromBytes(e.rel)}: ${why}`)
    }
    for (const rel of this.vanished()) {
      const why = this.notReady.get(rel)
      if (!failed(why)) return null
      out.push(`${fromBytes(rel)}: ${why}`)
    }
    for (const e of this.index.entries.values()) {
      if (e.kind === 'other') out.push(`${fromBytes(e.rel)}: sockets, FIFOs and device nodes are not published`)
    }
    for (const [rel, why] of this.index.problems) out.push(`${fromBytes(rel)}: ${why}`)
    return out
  }

  /** True when the walk could not read `rel` or a directory above it: its absence from the index means nothing. */
  private unreadable(rel: Bytes): boolean {
    const problems = this.index.problems
    if (problems.size === 0) return false
    for (let r = rel; ; r = parentRel(r)) {
      if (problems.has(r)) return true
      if (r === '') return false
    }
  }

  /** Pending entries, bytes and the oldest change, as status reports them. */
  pending(): PendingSummary {
    let entries = this.vanished().length
    let bytes = 0
    let oldest = Infinity
    for (const e of this.candidates()) {
      entries++
      if (e.kind === 'f') bytes += e.size
      oldest = Math.min(oldest, e.ctimeMs)
    }
    const reasons: string[] = []
    if (this.globalBackoff) reasons.push(this.globalBackoff.message)
    for (const [rel, why] of this.notReady) {
      if (reasons.length >= 5) break
      reasons.push(`${fromBytes(rel)}: ${why}`)
    }
    return { entries, bytes, oldestAgeSeconds: entries ? Math.max(0, (Date.now() - oldest) / 1000) : null, reasons }
  }

  /**
   * Publishes every quiescent pending entry once. Errors never escape: a gv0-wide error stops
   * the pass and backs off, an entry's own error backs off that entry only.
   */
  async pass(opts: { settleMs?: number } = {}): Promise<PassSummary> {
    const settleMs = opts.settleMs ?? this.cfg.settleSeconds * 1000
    const sum: PassSummary = { published: 0, bytes: 0, conflicts: 0, deleted: 0, skipped: 0, failed: 0, blocked: null }
    if (this.globalBackoff && this.clock.mono() < this.globalBackoff.until) {
      sum.blocked = this.globalBackoff.message
      return sum
    }
    const problem = await lowerProblem(this.cfg)
    if (problem) {
      this.globalBackoff = this.backoff(this.globalBackoff, problem)
      this.noteError('global', problem)
      sum.blocked = problem
      return sum
    }
    const cands = this.candidates()
    const gone = this.vanished()
    this.obs.round(cands, gone, this.index.walkedSince, (rel) => this.state.get(rel) !== undefined)
    if (cands.length === 0 && gone.length === 0) {
      this.clearGlobal()
      this.notReady.clear()
      return sum
    }
    this.notReady.clear()
    this.writers.forget()
    const ctx = this.ctx()
    try {
      await this.publishLevels(ctx, cands, gone, settleMs, sum)
    } finally {
      ctx.lowerFs.close()
      ctx.upperFs.close()
    }
    return sum
  }

  private async publishLevels(
    ctx: PublishContext,
    cands: UpperEntry[],
    gone: Bytes[],
    settleMs: number,
    sum: PassSummary,
  ): Promise<void> {
    // applied after every creation of the pass, so a rename's new name reaches gv0 before its old one goes
    const deletes: { e: UpperEntry; x: Xattrs | null }[] = []
    // group by depth: a level's directories exist in gv0 before the next level is published
    const levels = new Map<number, UpperEntry[]>()
    for (const e of cands) {
      const d = depthOf(e.rel)
      const l = levels.get(d) ?? []
      l.push(e)
      levels.set(d, l)
    }
    for (const level of [...levels.keys()].sort((a, b) => a - b)) {
      const ready: UpperEntry[] = []
      for (const stale of levels.get(level) as UpperEntry[]) {
        const bo = this.entryBackoff.get(stale.rel)
        if (bo && this.clock.mono() < bo.until) {
          this.notReady.set(stale.rel, `retrying later: ${bo.message}`)
          sum.skipped++
          continue
        }
        let e: UpperEntry
        try {
          e = entryFromStat(stale.rel, await ctx.upperFs.lstat(stale.rel))
        } catch {
          continue // vanished: the next scan forgets it
        }
        this.index.entries.set(e.rel, e)
        if (isDone(e, this.state.get(e.rel))) continue
        if (e.kind !== 'd') {
          const q = quiescence(e, this.obs.see(e), settleMs, this.writers.after(this.obs.sinceOf(e.rel)))
          if (!q.quiet) {
            this.notReady.set(e.rel, q.reason + (q.pids ? ` by pid ${q.pids.join(', ')}` : ''))
            sum.skipped++
            continue
          }
        }
        if (e.kind === 'w') deletes.push({ e, x: null })
        else ready.push(e)
      }
      const needX = ready.filter((e) => e.kind === 'f' || e.kind === 'd')
      const xs = new Map<Bytes, Xattrs | null>()
      try {
        const got = await readXattrs(ctx.upperFs, needX.map((e) => e.rel))
        needX.forEach((e, i) => xs.set(e.rel, got[i]))
      } catch (err) {
        this.noteError('xattrs', `reading xattrs: ${(err as Error).message}`)
        sum.blocked = 'cannot read xattrs (is the attr package installed?)'
        return
      }
      let blocked = false
      const xattrWhiteouts = ready.filter((e) => e.kind === 'f' && e.size === 0 && isXattrWhiteout(xs.get(e.rel) ?? null))
      for (const e of xattrWhiteouts) deletes.push({ e, x: xs.get(e.rel) ?? null })
      // the first name of each inode before its other names, so those can link to it
      for (const batch of linkOrder(xattrWhiteouts.length ? ready.filter((e) => !xattrWhiteouts.includes(e)) : ready)) {
        if (blocked) break
        await pool(acrossDirs(batch), this.cfg.publishConcurrency, async (e) => {
          if (await this.applyOrBackoff(ctx, e, xs.get(e.rel) ?? null, sum)) return true
          blocked = true
          return false
        })
      }
      if (blocked) {
        sum.blocked = this.globalBackoff?.message ?? 'gv0 error'
        break
      }
    }
    const holds = sum.blocked ? null : this.deleteHolds(cands, new Set(deletes.map((d) => d.e.rel)))
    if (holds) await this.applyDeletes(ctx, deletes, holds, sum)
    if (holds && !sum.blocked) await this.applyVanished(ctx, gone, sum, holds)
    if (!sum.blocked && sum.failed === 0) this.clearGlobal()
  }

  /**
   * Why a delete first seen at `since` waits (delete-order.ts), from the new names still pending after
   * this pass's publishes: entries gv0 has never had from this host.
   */
  private deleteHolds(cands: UpperEntry[], deletes: Set<Bytes>): (since: number) => string | null {
    const pendingNew: { rel: Bytes; since: number }[] = []
    for (const c of cands) {
      if (c.kind === 'd' || c.kind === 'w' || c.kind === 'other' || deletes.has(c.rel)) continue
      const e = this.index.entries.get(c.rel)
      const rec = this.state.get(c.rel)
      if (!e || e.kind === 'w' || isDone(e, rec) || (rec && rec.k !== 'w')) continue
      pendingNew.push({ rel: c.rel, since: this.obs.pendingSince(c.rel) })
    }
    const oldest = oldestNewName(pendingNew)
    return (since) => deleteHeld(since, this.clock.mono(), oldest, fromBytes)
  }

  private async applyDeletes(ctx: PublishContext, deletes: { e: UpperEntry; x: Xattrs | null }[], held: (since: number) => string | null, sum: PassSummary): Promise<void> {
    const now: { e: UpperEntry; x: Xattrs | null }[] = []
    for (const d of deletes) {
      const why = held(this.obs.sinceOf(d.e.rel))
      if (why) {
        this.notReady.set(d.e.rel, why)
        sum.skipped++
      } else now.push(d)
    }
    const xs = new Map(now.map((d) => [d.e.rel, d.x]))
    let blocked = false
    await pool(acrossDirs(now.map((d) => d.e)), this.cfg.publishConcurrency, async (e) => {
      if (await this.applyOrBackoff(ctx, e, xs.get(e.rel) ?? null, sum)) return true
      blocked = true
      return false
    })
    if (blocked) sum.blocked = this.globalBackoff?.message ?? 'gv0 error'
  }

  /** Applies one entry; its error backs it off, and false means gv0 as a whole refused (stop the pass). */
  private async applyOrBackoff(ctx: PublishContext, e: UpperEntry, x: Xattrs | null, sum: PassSummary): Promise<boolean> {
    try {
      if (e.kind === 'w') await this.applyOne(ctx, e, x, sum)
      else await withParents(ctx, e.rel, () => this.applyOne(ctx, e, x, sum))
      this.entryBackoff.delete(e.rel)
      this.errors.delete(e.rel)
      return true
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? ''
      const message = `${fromBytes(e.rel)}: ${(err as Error).message}`
      sum.failed++
      this.entryBackoff.set(e.rel, this.backoff(this.entryBackoff.get(e.rel), message))
      this.notReady.set(e.rel, `failed: ${(err as Error).message}`)
      if (GLOBAL_ERRORS.has(code)) {
        this.globalBackoff = this.backoff(this.globalBackoff, `gv0 not taking writes: ${message}`)
        this.noteError('global', `gv0 not taking writes (${code}): ${message}`)
        return false
      }
      this.noteError(e.rel, message)
      return true
    }
  }

  private async applyVanished(ctx: PublishContext, gone: Bytes[], sum: PassSummary, held: (since: number) => string | null): Promise<void> {
    for (const rel of gone) {
      const rec = this.state.get(rel)
      if (!rec) continue
      const why = held(this.obs.sinceOf(rel))
      if (why) {
        this.notReady.set(rel, why)
        sum.skipped++
        continue
      }
      try {
        if (await ctx.upperFs.lstatOrNull(rel)) continue // index was stale
        if (rec.x) {
          // gv0's name holds the remote version since a conflict: the local copy is what went away
          this.state.delete(rel)
          continue
        }
        const kept = await removeLower(ctx, rel, rec.t, 'deleted here')
        this.state.delete(rel)
        if (kept.length) sum.conflicts += kept.length
        else sum.deleted++
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? ''
        this.noteError(rel, `${fromBytes(rel)}: applying delete: ${(err as Error).message}`)
        this.notReady.set(rel, `failed: applying delete: ${(err as Error).message}`)
        sum.failed++
        if (GLOBAL_ERRORS.has(code)) {
          this.globalBackoff = this.backoff(this.globalBackoff, `gv0 not taking writes: ${(err as Error).message}`)
          sum.blocked = this.globalBackoff.message
          return
        }
      }
    }
  }

  private clearGlobal(): void {
    this.globalBackoff = null
    this.errors.delete('global')
  }

  private async applyOne(ctx: PublishContext, e: UpperEntry, x: Xattrs | null, sum: PassSummary): Promise<void> {
    if (e.kind === 'w' || (e.kind === 'f' && e.size === 0 && isXattrWhiteout(x))) {
      const r = await applyWhiteout(ctx, { ...e, kind: 'w' }, this.obs.deletedAfterMs(e))
      if (r === 'deleted') sum.deleted++
      if (r === 'kept') sum.conflicts++
      return
    }
    if (e.kind === 'd') {
      await publishDir(ctx, e, x)
      if (isOpaque(x) && !this.state.get(e.rel)?.op) {
        const kept = await applyOpaque(ctx, e)
        sum.deleted++
        if (kept.length) sum.conflicts += kept.length
      }
      return
    }
    let out: Outcome | null = null
    if (e.kind === 'f') out = await publishFile(ctx, e, x)
    else if (e.kind === 'l') out = await publishSymlink(ctx, e)
    if (!out) return
    if (out.result === 'changed') {
      this.notReady.set(e.rel, out.reason)
      sum.skipped++
      return
    }
    if (out.result === 'published' || out.result === 'conflict') {
      sum.published++
      sum.bytes += out.bytes
      this.state.notePublished(out.bytes)
      this.rateWindow.push({ t: Date.now(), bytes: out.bytes })
      if (out.result === 'conflict') sum.conflicts++
    }
  }

  /** Saves state when something changed; a failure (e.g. cache disk full) is reported, not fatal. */
  saveState(): void {
    if (!this.state.dirty && !this.obs.dirty) return
    try {
      if (this.state.dirty) this.state.save()
      // after the state: see Observations.save
      this.obs.save()
      this.errors.delete('state')
    } catch (err) {
      this.noteError('state', `saving state: ${(err as Error).message}`)
    }
  }

  /** Scans, publishes and repeats until nothing is pending or the deadline passes. */
  async flush(opts: { wait: boolean; timeoutMs: number; settleMs?: number }): Promise<{ ok: boolean; pending: PendingSummary; message: string }> {
    // the caller's timeout is real time, whatever clock drives settle times and backoff
    const deadline = performance.now() + opts.timeoutMs
    const settleMs = opts.settleMs ?? this.cfg.settleSeconds * 1000
    let settledOnce = false
    this.retryNow()
    for (;;) {
      await this.index.fullScan()
      const sum = await this.exclusive(() => this.pass({ settleMs: opts.settleMs }))
      this.saveState()
      const p = this.pending()
      const stuck = opts.wait ? this.stuck() : null
      if (stuck?.length) {
        // everything publishable is in gv0: waiting longer would not change what is left
        const shown = stuck.slice(0, 10).join('; ') + (stuck.length > 10 ? `; and ${stuck.length - 10} more` : '')
        return { ok: false, pending: p, message: `${stuck.length} entries cannot be published now: ${shown}` }
      }
      if (p.entries === 0) return { ok: true, pending: p, message: 'nothing pending' }
      // a one-shot flush in a fresh process: give what it found the settle time to be seen unchanged, once
      if (!opts.wait && !settledOnce && !this.obs.watchedFor(settleMs)) {
        settledOnce = true
        await new Promise((r) => setTimeout(r, settleMs))
        continue
      }
      if (!opts.wait) {
        return { ok: true, pending: p, message: `published ${sum.published}, ${p.entries} still pending` }
      }
      if (performance.now() >= deadline) {
        return {
          ok: false,
          pending: p,
          message: `${p.entries} entries (${p.bytes} bytes) still pending after ${opts.timeoutMs / 1000}s: ${p.reasons.join('; ') || 'settling'}`,
        }
      }
      const wait = this.globalBackoff ? Math.max(50, this.globalBackoff.until - this.clock.mono()) : 100
      await new Promise((r) => setTimeout(r, Math.min(wait, 1000, Math.max(0, deadline - performance.now()))))
    }
  }

  /** Cache disk use of the file system holding upper. */
  cacheUsedPercent(): number {
    try {
      const s = statfsSync(this.cfg.upper)
      return s.blocks ? ((s.blocks - s.bfree) / s.blocks) * 100 : 0
    } catch {
      return 0
    }
  }

  /** Marks the end of an evict cycle in the totals. */
  noteEviction(): void {
    this.state.totals.evictions++
    this.state.dirty = true
  }

  /** The report behind `status --json` and the metrics. */
  async status(): Promise<StatusReport> {
    const p = this.pending()
    const now = Date.now()
    while (this.rateWindow.length && now - this.rateWindow[0].t > 60_000) this.rateWindow.shift()
    const span = Math.max(1, Math.min(60, (now - Math.max(this.startedAt, now - 60_000)) / 1000))
    const rate = this.rateWindow.reduce((a, r) => a + r.bytes, 0) / span
    return {
      version: AGENT_VERSION,
      host: this.cfg.host,
      running: this.running,
      union: { path: this.cfg.union, mounted: isUnionMounted(this.cfg) },
      lower: { path: this.cfg.lower, problem: await lowerProblem(this.cfg) },
      pending: { entries: p.entries, bytes: p.bytes, oldestAgeSeconds: p.oldestAgeSeconds },
      lastPublish: this.state.totals.lastPublish,
      publishedTotal: this.state.totals.publishedEntries,
      publishedBytesTotal: this.state.totals.publishedBytes,
      publishRateBytesPerSecond: Math.round(rate),
      errors: [...this.errors.values()].slice(-20),
      errorsTotal: this.errorsTotal,
      conflicts: this.state.totals.conflicts,
      evictions: this.state.totals.evictions,
      cache: {
        usedPercent: Math.round(this.cacheUsedPercent() * 10) / 10,
        highWatermarkPercent: this.cfg.highWatermarkPercent,
        lowWatermarkPercent: this.cfg.lowWatermarkPercent,
      },
    }
  }

  /** Records an error from outside a pass (evict, dentry drop, metrics). */
  reportError(key: string, message: string): void {
    this.noteError(key, message)
  }

  /** Notes a dentry drop once it is done (no-clobber.ts: names created remotely before it are visible after it). */
  noteDentryDrop(): void {
    this.drops.note(Date.now())
  }

  /** Clears an error once its cause is gone. */
  clearError(key: string): void {
    this.errors.delete(key)
  }
}
