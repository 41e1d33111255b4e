// The model: which versions of each name the flush contract promises to keep, learnt from what each side
// saw before and after its own operations, and the oracle that holds the final gv0 against it.
//
// A version (content, mode, user xattrs; or a symlink's target) is required once a side writes it, and
// stops being required only when a side replaces it while seeing it (its op's "before" was that version).
// So a local write based on the remote version replaces it; two writes that did not see each other are
// both required, and the contract only says where: one at the name, the other at a conflict name of it
// (any order, any stamp). Names only one side ever changed must hold exactly that side's last state.
import { stateKey, type State } from './fsops.ts'
import { isHiddenRootName } from '../../../src/agent/fs/hidden-names.ts'
import { isTempName, NAMESPACE, ODD_NAMES } from './generate.ts'

export type Side = 'local' | 'remote'

const TEMP_PREFIX = '.gfs-writecache.tmp.'
const CONFLICT_TAG = /\.conflict-[A-Za-z0-9._-]+?-\d{8}T\d{6}Z/g

/** The name a gv0 entry stands for: every conflict tag removed from every component. */
export function logicalPath(rel: string): string {
  return rel.split('/').map((c) => c.replace(CONFLICT_TAG, '')).join('/')
}

const isConflictName = (rel: string) => new RegExp(CONFLICT_TAG.source).test(rel.slice(rel.lastIndexOf('/') + 1))

const ancestors = (rel: string) => rel.split('/').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('/'))

const show = (s: State | undefined) => (s ? stateKey(s).replace(/\n/g, '\\n') : 'absent')

/** A metadata change made through one name of a hard-linked file: what it may carry to the others. */
type Leak = { mode: number; x: string }

const leaked = (s: State, l: Leak): State => (s.t === 'f' ? { ...s, mode: l.mode, x: l.x } : s)

/** An entry the agent must leave in the cache: a FIFO, a user's file named like a temporary. */
export function unpublishable(rel: string, union: Record<string, State>): boolean {
  return union[rel]?.t === 'other' || (ODD_NAMES.includes(rel) && isTempName(rel) && !!union[rel] && union[rel].t !== 'absent')
}

export class Model {
  private readonly known = new Map<string, Set<string>>()
  private readonly required = new Map<string, Map<string, State>>()
  private readonly last = new Map<string, State>()
  private readonly touched = new Map<string, Set<Side>>()
  readonly hostile = new Set<string>()
  /** names of one inode as the user made them (link), until a name is replaced, deleted or renamed away */
  private readonly group = new Map<string, Set<string>>()
  /** mode/xattr changes made through a sibling that the union did not show at this name */
  private readonly leaks = new Map<string, Leak[]>()
  /** names where a conflict copy of this host's version is allowed though only this host changed them */
  private readonly needless = new Set<string>()
  private readonly baseline = new Set<string>()
  /** gv0's versions from before the union was first mounted: every lookup through it is newer */
  private readonly before = new Map<string, string>()
  /** versions a local delete removed that the local side never wrote: gv0 may keep them (see mayKeepDelete) */
  private readonly keepable = new Map<string, Set<string>>()
  /** versions each name had that the local side wrote */
  private readonly localVersions = new Map<string, Set<string>>()
  /** when the other host's versions reached gv0 (wall-clock ms, right after its operation) */
  private readonly written = new Map<string, number>()
  /** directories removed or replaced here: the union may since show none of gv0's entries below */
  private readonly replacedDirs = new Set<string>()
  /** local deletes of versions the union surely showed, by the daemon that must apply them */
  private readonly mustApply = new Map<string, { key: string; gen: number; remote: number }>()
  /** how often the other host changed each name */
  private readonly remoteChanges = new Map<string, number>()
  /** names a local delete left showing gv0's copy (see deletedBehindStaleView): gv0 may keep that copy */
  private readonly shownAfterDelete = new Map<string, string>()

  /** gv0 before anything ran: its versions are required like any other until a side replaces them. */
  constructor(baseline: Record<string, State>) {
    for (const p of NAMESPACE) {
      const s = baseline[p] ?? { t: 'absent' }
      if (s.t !== 'absent') this.baseline.add(p)
      if (s.t === 'f' || s.t === 'l') this.before.set(p, stateKey(s))
      this.last.set(p, s)
      this.note(p, s)
    }
  }

  private note(p: string, s: State): void {
    if (s.t !== 'f' && s.t !== 'l') return
    const k = stateKey(s)
    if (!this.known.has(p)) this.known.set(p, new Set())
    this.known.get(p)?.add(k)
    if (!this.required.has(p)) this.required.set(p, new Map())
    this.required.get(p)?.set(k, s)
  }

  /** One side's operation: what it saw at the affected names just before, and what was there right after. */
  apply(side: Side, before: Record<string, State>, after: Record<string, State>): string[] {
    const changed: string[] = []
    for (const p of Object.keys(after)) {
      const b = before[p] ?? { t: 'absent' }
      const a = after[p]
      if (stateKey(a) === stateKey(b)) continue
      changed.push(p)
      this.shownAfterDelete.delete(p)
      this.replaced(p, b)
      if (a.t !== 'f' || b.t !== 'f' || a.data !== b.data) this.leaks.delete(p)
      this.note(p, a)
      if (side === 'local' && (a.t === 'f' || a.t === 'l')) {
        if (!this.localVersions.has(p)) this.localVersions.set(p, new Set())
        this.localVersions.get(p)?.add(stateKey(a))
      }
      // a local delete of a version it did not write: the agent cannot prove the union showed that one,
      // unless gv0 had it before the union was first mounted (no lookup can be older than that mount)
      if (side === 'local' && a.t === 'absent' && this.before.get(p) !== stateKey(b)) this.mayKeepDelete(p, b)
      this.last.set(p, a)
      this.touch(side, p)
      // whatever a side puts at a name needs its parents as directories: a change of theirs is a conflict
      if (a.t !== 'absent') for (const up of ancestors(p)) this.touch(side, up)
    }
    // A copy-up breaks a hard link of gv0's (index=off): the union then shows a chmod or setfattr at
    // the name it went through only, but the agent applies it to gv0's inode, which every name of the
    // link shares. POSIX says the other names change too, so the contract allows either there.
    if (side === 'local') {
      for (const q of changed) {
        const a = after[q]
        const b = before[q] ?? { t: 'absent' }
        if (a.t !== 'f' || b.t !== 'f' || a.data !== b.data) continue
        for (const p of this.group.get(q) ?? []) {
          if (p === q || changed.includes(p)) continue
          this.leaks.set(p, [...(this.leaks.get(p) ?? []), { mode: a.mode, x: a.x }])
        }
      }
    }
    for (const p of changed) if (after[p].t !== 'f') this.unlink(p)
    return changed
  }

  /**
   * A new inode put where gv0 may hold a file the agent has no record of (a rename over it, a symlink
   * or create after a delete, a file in a replaced directory): the agent has no record of the name and no proof the union showed gv0's entry (no
   * copy-up, maybe no dentry drop in this process yet), so the contract allows keeping both, this
   * host's version under a conflict name (docs/flush-contract.md, item 6).
   */
  mayKeepBoth(p: string): void {
    // only where gv0 may hold an entry of the other host's or from before the run at that name
    if ([...(this.known.get(p) ?? [])].length > 1 || this.touched.get(p)?.has('remote') || this.baseline.has(p)) this.needless.add(p)
  }

  /**
   * A local delete of `s` at `p`, a version this host never wrote (gv0's, maybe through a stale lookup):
   * within the agent's stale-dentry window it cannot tell that version from one the union never showed,
   * so it may keep gv0's entry (delete-kept) rather than risk removing an unseen one.
   */
  mayKeepDelete(p: string, s: State): void {
    if ((s.t !== 'f' && s.t !== 'l') || this.localVersions.get(p)?.has(stateKey(s))) return
    if (!this.keepable.has(p)) this.keepable.set(p, new Set())
    this.keepable.get(p)?.add(stateKey(s))
  }

  /**
   * A local delete that succeeded while the union still shows `shown` at `p` right after: overlayfs
   * removed the name without a whiteout, in a directory it had looked up as upper-only before the agent
   * published the name, and its next lookup finds gv0's copy. The user's delete happened, and the agent
   * applies it (a published name gone from upper, core/pending.ts); but the user also saw the copy again,
   * so gv0 may keep it. A copy of the other host's stays required.
   */
  deletedBehindStaleView(p: string, shown: State): void {
    const key = stateKey(shown)
    if (this.localVersions.get(p)?.has(key)) this.required.get(p)?.delete(key)
    this.last.set(p, { t: 'absent' })
    this.shownAfterDelete.set(p, key)
    this.touch('local', p)
  }

  noteWritten(p: string, s: State, at: number): void {
    if (s.t === 'f' || s.t === 'l') this.written.set(`${p}\0${stateKey(s)}`, at)
  }

  writtenAt(p: string, s: State): number | undefined {
    return this.written.get(`${p}\0${stateKey(s)}`)
  }

  noteDirReplaced(p: string): void {
    this.replacedDirs.add(p)
  }

  /**
   * No local operation ever reached `p` (so the agent has no record and saw no upper entry there), no
   * parent of it was removed or replaced here, and nothing hostile sits on its path.
   */
  untouchedHere(p: string): boolean {
    return !this.touched.get(p)?.has('local') && !ancestors(p).some((a) => this.replacedDirs.has(a)) && !this.behindHostile(p) && !ODD_NAMES.includes(p)
  }

  /** A local delete of `s` the agent knows the union showed (runner.ts, surelyShown). */
  mustApplyDelete(p: string, s: State, gen: number): void {
    this.mustApply.set(p, { key: stateKey(s), gen, remote: this.remoteChangesAt(p) })
  }

  private remoteChangesAt(p: string): number {
    return [p, ...ancestors(p)].reduce((n, q) => n + (this.remoteChanges.get(q) ?? 0), 0)
  }

  /**
   * The kept-delete allowance (mayKeepDelete) does not cover deletes of versions the union surely
   * showed, handled by one daemon from the delete to the drain: gv0 must no longer hold them, unless
   * a side changed the name since.
   */
  missingDeletes(gv0: Record<string, State>, finalGen: number | null): string[] {
    const v: string[] = []
    for (const [p, { key, gen, remote }] of this.mustApply) {
      if (gen !== finalGen || this.last.get(p)?.t !== 'absent' || this.remoteChangesAt(p) !== remote) continue
      if (gv0[p] && stateKey(gv0[p]) === key) v.push(`${p}: a delete of ${key.replace(/\n/g, '\\n')} was kept, though the other host wrote it before the union was mounted and the daemon started after that mount`)
    }
    return v
  }

  /** Did the local side write this version of `p`? */
  wroteLocally(p: string, s: State): boolean {
    return this.localVersions.get(p)?.has(stateKey(s)) ?? false
  }

  /** `link p q` through the union: one inode, two names. */
  link(p: string, q: string): void {
    const g = this.group.get(p) ?? new Set([p])
    g.add(q)
    this.unlink(q)
    for (const n of g) this.group.set(n, g)
  }

  /** `rename p q`: q is now the name p was, p is nothing. */
  rename(p: string, q: string): void {
    const g = this.group.get(p)
    this.unlink(q)
    if (!g) return
    g.delete(p)
    this.group.delete(p)
    g.add(q)
    this.group.set(q, g)
    this.leaks.delete(q)
  }

  /** The name no longer shares an inode with the others (deleted, replaced by the other host). */
  unlink(p: string): void {
    this.group.get(p)?.delete(p)
    this.group.delete(p)
  }

  /**
   * A side replaced `seen` at `p`: that version is no longer required, nor the one it is a variant of (a
   * metadata change through another name of a hard link showed it with that name's mode or xattrs).
   */
  private replaced(p: string, seen: State): void {
    const req = this.required.get(p)
    const key = stateKey(seen)
    if (req) for (const [k, r] of req) if (k === key || this.variants(p, r).includes(key)) req.delete(k)
  }

  /** A state and what sibling metadata changes may have made of it in gv0. */
  private variants(p: string, s: State): string[] {
    const out = [stateKey(s)]
    let cum = s
    for (const l of this.leaks.get(p) ?? []) {
      out.push(stateKey(leaked(s, l)))
      cum = leaked(cum, l)
      out.push(stateKey(cum))
    }
    return out
  }

  private knownAt(p: string, s: State): boolean {
    const k = stateKey(s)
    if (this.known.get(p)?.has(k)) return true
    const leaks = this.leaks.get(p) ?? []
    return s.t === 'f' && leaks.some((l) => l.mode === s.mode && l.x === s.x) && [...(this.known.get(p) ?? [])].some((kk) => kk.endsWith(`:${JSON.stringify(s.data)}`) && kk.startsWith('f:'))
  }

  /**
   * A local `rm -r`: it removes what the directory listing showed, and overlayfs lists gv0's entries
   * of a merged directory even when a stale lookup says they are gone. Everything below counts as seen.
   */
  removedTree(names: string[]): void {
    for (const p of names) {
      const req = this.required.get(p)
      if (!req?.size) continue
      for (const v of req.values()) this.mayKeepDelete(p, v)
      req.clear()
      this.last.set(p, { t: 'absent' })
      if (!this.touched.has(p)) this.touched.set(p, new Set())
      this.touched.get(p)?.add('local')
    }
  }

  /** The other host removed a version of `p` it saw in gv0 (at the name or a conflict name of it). */
  removedRemotely(p: string, s: State): void {
    if (!NAMESPACE.includes(p)) return
    this.required.get(p)?.delete(stateKey(s))
    this.touch('remote', p)
  }

  /** An operation that changed a name's inode but nothing the model compares (a hard link's copy-up and link count). */
  touch(side: Side, p: string): void {
    // a later local operation there starts over: the delete may have become a replacement
    if (side === 'local') this.mustApply.delete(p)
    else this.remoteChanges.set(p, (this.remoteChanges.get(p) ?? 0) + 1)
    if (!this.touched.has(p)) this.touched.set(p, new Set())
    this.touched.get(p)?.add(side)
  }

  markHostile(p: string): void {
    this.hostile.add(p)
  }

  private touchedAtOrBelow(p: string, side: Side): boolean {
    return NAMESPACE.some((q) => (q === p || q.startsWith(p + '/')) && this.touched.get(q)?.has(side))
  }

  /**
   * Changed by both sides at some point (a change below a name counts for it: a directory replaced here
   * while the other host wrote inside it is a conflict too): conflict copies are allowed there, and the
   * name may hold any version either side wrote, as long as every required one is kept somewhere.
   */
  contested(p: string): boolean {
    const t = this.touched.get(p)
    if (this.needless.has(p)) return true
    return (!!t?.has('local') && this.touchedAtOrBelow(p, 'remote')) || (!!t?.has('remote') && this.touchedAtOrBelow(p, 'local'))
  }

  /** The name or one of its parents was made a symlink to outside the volume by the other host. */
  behindHostile(p: string): boolean {
    return this.hostile.has(p) || ancestors(p).some((a) => this.hostile.has(a))
  }

  /**
   * The oracle. `gv0`, `union` and `upper` are full walks after the drain. Entries the agent may not
   * publish (below a hostile symlink) may stay in upper instead of gv0, and are left out of the union
   * comparison; everything else must hold exactly.
   */
  check(gv0: Record<string, State>, union: Record<string, State>, upper: Record<string, State>): string[] {
    // gluster's names and the agents' name-lock file at the root are no user's files (hidden-names.ts)
    ;[gv0, union, upper] = [gv0, union, upper].map((m) => Object.fromEntries(Object.entries(m).filter(([rel]) => !isHiddenRootName(rel))))
    const v: string[] = []
    const byLogical = new Map<string, [string, State][]>()
    for (const [rel, s] of Object.entries(gv0)) {
      const base = rel.slice(rel.lastIndexOf('/') + 1)
      if (base.startsWith(TEMP_PREFIX)) {
        v.push(`temporary left in gv0: ${rel}`)
        continue
      }
      if (ODD_NAMES.includes(rel)) continue // checked below, by their own name
      const p = logicalPath(rel)
      if (!NAMESPACE.includes(p)) {
        v.push(`unexpected entry in gv0: ${rel} (${show(s)})`)
        continue
      }
      byLogical.set(p, [...(byLogical.get(p) ?? []), [rel, s]])
      if (isConflictName(rel) && !this.contested(p) && !ancestors(p).some((a) => this.contested(a))) v.push(`conflict copy of a name only one side changed: ${rel} (${show(s)})`)
      if ((s.t === 'f' || s.t === 'l') && !this.knownAt(p, s)) {
        v.push(`gv0 ${rel} holds a version of ${p} no side ever wrote: ${show(s)}`)
      }
      // the other host's FIFO or device node is its own business; the agent must never make one
      if (s.t === 'other' && !this.behindHostile(p)) v.push(`gv0 ${rel} is neither file, directory nor symlink`)
    }
    for (const rel of ODD_NAMES) {
      // a name like a temporary is never published; one like a conflict copy is a file like any other
      const want = isTempName(rel) ? { t: 'absent' as const } : this.last.get(rel) ?? { t: 'absent' }
      const got = gv0[rel] ?? { t: 'absent' }
      if (stateKey(got) !== stateKey(want)) v.push(`${rel} (a user's file with an odd name): gv0 has ${show(got)}, expected ${show(want)}`)
    }
    // a crash between placing a conflict copy and recording it must not make a second copy of it
    for (const [p, at] of byLogical) {
      const copies = at.filter(([rel, s]) => isConflictName(rel) && s.t === 'f').map(([, s]) => stateKey(s))
      const twice = copies.filter((k, i) => copies.indexOf(k) !== i)
      for (const k of new Set(twice)) v.push(`duplicate conflict copies of ${p}: ${k.replace(/\n/g, '\\n')}`)
    }
    const contestedAbove = (p: string) => ancestors(p).some((a) => this.contested(a))
    for (const p of NAMESPACE) {
      // a FIFO is reported and stays in the cache; gv0 must never get one (checked above)
      if (union[p]?.t === 'other') continue
      const inUpper = (s: State) => this.behindHostile(p) && stateKey(upper[p] ?? { t: 'absent' }) === stateKey(s)
      const found = (s: State) => (byLogical.get(p) ?? []).some(([, g]) => this.variants(p, s).includes(stateKey(g))) || inUpper(s)
      if (this.contested(p)) {
        for (const s of this.required.get(p)?.values() ?? []) {
          if (!found(s)) v.push(`lost: ${p} ${show(s)} (changed on both sides; gv0 has ${this.describeAt(byLogical, p)})`)
        }
        continue
      }
      const want = this.last.get(p) ?? { t: 'absent' }
      const got = gv0[p] ?? { t: 'absent' }
      if (this.variants(p, want).includes(stateKey(got)) || inUpper(want)) continue
      if (want.t === 'absent' && this.keepable.get(p)?.has(stateKey(got))) continue
      if (want.t === 'absent' && this.shownAfterDelete.get(p) === stateKey(got)) continue
      if (contestedAbove(p) && (want.t === 'absent' || found(want))) continue
      const who = [...(this.touched.get(p) ?? ['nobody'])].join('')
      v.push(`${p}: gv0 has ${show(got)}, expected ${show(want)} (changed only by ${who})`)
    }
    for (const rel of new Set([...Object.keys(union), ...Object.keys(gv0)])) {
      if (unpublishable(rel, union)) continue
      // a directory that holds only such entries need not be made again in gv0 for them
      if (!gv0[rel] && Object.keys(union).some((q) => q.startsWith(rel + '/') && unpublishable(q, union))) continue
      const p = logicalPath(rel)
      if (this.behindHostile(p) || ancestors(p).some((a) => this.behindHostile(a))) continue
      const u = union[rel] ?? { t: 'absent' }
      const g = gv0[rel] ?? { t: 'absent' }
      if (stateKey(u) !== stateKey(g)) v.push(`union and gv0 differ after the drain at ${rel}: union ${show(u)}, gv0 ${show(g)}`)
    }
    return v
  }

  private describeAt(byLogical: Map<string, [string, State][]>, p: string): string {
    const at = byLogical.get(p) ?? []
    return at.length ? at.map(([rel, s]) => `${rel}=${show(s)}`).join(', ') : 'nothing'
  }

  /** What the model holds per name, for failure reports. */
  summary(): string[] {
    return NAMESPACE.map((p) => {
      const req = [...(this.required.get(p)?.values() ?? [])].map(show)
      const who = [...(this.touched.get(p) ?? [])].join('+') || '-'
      return `${p} [${who}${this.behindHostile(p) ? ', hostile' : ''}] last=${show(this.last.get(p))} required={${req.join(' | ')}}`
    })
  }
}
