// What this host published and what gv0 held at that moment, kept on the cache disk so a
// restart (SIGKILL, reboot) knows what is already in gv0 and can tell remote changes apart.
import { closeSync, existsSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { crashPoint } from '../core/crash-points.ts'
import { writeFileAtomic } from '../fs/atomic-write.ts'
import { sameTime } from '../fs/entry-identity.ts'
import type { Bytes } from '../fs/paths.ts'
import { ReclaimJournal } from './reclaim-journal.ts'
import { asideName, readStateFile } from './state-file.ts'
import type { Intent, PublishRecord } from './records.ts'
import { decodeIntent, decodeRecord, encodeIntent, encodeRecord, type CompactIntent, type CompactRecord } from './record-codec.ts'

export type { Intent, PublishRecord } from './records.ts'

export interface ConflictReport {
  time: string
  /** path relative to the volume root, as text */
  path: string
  kind: 'modified-both' | 'delete-kept' | 'type-changed' | 'dir-recreated'
  /** where the local version was published (modified-both, type-changed) */
  localCopy?: string
  message: string
}

export interface Totals {
  publishedEntries: number
  publishedBytes: number
  lastPublish: string | null
  conflicts: number
  evictions: number
}

interface StateFile {
  v: 1
  upperIno?: number | null
  records: Record<string, CompactRecord>
  conflicts: ConflictReport[]
  totals: Totals
  /** how many saves this state file has seen */
  gen?: number
}

/**
 * The record of a reclaimed entry: a baseline for the next copy-up, never a pending delete. A conflict
 * target (`x`) and a directory's `opaqueDone` are kept while the entry may still exist, and dropped once
 * it is gone (after the unlink or rmdir, or when the agent opens and finds it gone). A crash between the
 * mark and the rmdir of an opaque directory leaves that directory in upper, emptied: republished without
 * `opaqueDone`, its replacement would be applied again, and delete from gv0 the entries this host
 * published from it and has just reclaimed.
 */
export function reclaimedRecord(rec: PublishRecord): PublishRecord {
  return { ...rec, reclaimed: true }
}

/** A reclaimed record once its entry has left upper: nothing of it can be republished any more. */
export function goneRecord(rec: PublishRecord): PublishRecord {
  return { ...rec, conflictPath: undefined, digest: rec.conflictPath ? undefined : rec.digest, opaqueDone: undefined }
}

const KEEP_CONFLICTS = 1000
const RECLAIMED_RECORD_TTL_MS = 30 * 24 * 3600 * 1000

/** The size of an intent that marks a directory being emptied (its mtimeMs holds the ctime before). */
const EMPTYING = -1

/** In-memory state with explicit, atomic saves; loading tolerates a missing file only. */
export class StateStore {
  readonly records = new Map<Bytes, PublishRecord>()
  conflicts: ConflictReport[] = []
  totals: Totals = { publishedEntries: 0, publishedBytes: 0, lastPublish: null, conflicts: 0, evictions: 0 }
  /** inode of the upper dir the records belong to (a new cache disk has another one) */
  upperIno: number | null = null
  dirty = false
  readonly file: string
  readonly journal: string
  /** renames announced but not yet in a saved state (recovered after a crash, or in flight) */
  private readonly intents = new Map<Bytes, Intent[]>()
  private journalFd: number | null = null
  /** saves so far (from the state file): a conflict intent older than the last save was recorded by it */
  private gen = 0
  private readonly reclaimed: ReclaimJournal
  /** why state.json could not be used at load: this run rebuilds from the cache */
  unreadable: string | null = null
  /** where the first save keeps the unreadable file */
  private aside: string | null = null

  constructor(stateDir: string) {
    this.file = join(stateDir, 'state.json')
    this.journal = join(stateDir, 'intents.log')
    this.reclaimed = new ReclaimJournal(join(stateDir, 'reclaimed.log'))
  }

  /** Marks entries reclaimed, durably (fsync) before the caller unlinks them. */
  markReclaimed(rels: Bytes[]): void {
    this.reclaimed.append(rels)
    for (const rel of rels) {
      const rec = this.records.get(rel)
      if (rec) this.records.set(rel, reclaimedRecord(rec))
    }
    this.dirty = true
  }

  /**
   * Notes a rename before it happens (one write, no fsync: survives SIGKILL; after a power
   * loss the worst case is a needless conflict copy, never a lost version).
   */
  noteIntent(rel: Bytes, intent: Intent): void {
    if (intent.of !== undefined) intent = { ...intent, gen: this.gen }
    const list = this.intents.get(rel) ?? []
    list.push(intent)
    this.intents.set(rel, list)
    this.journalFd ??= openSync(this.journal, 'a', 0o644)
    writeSync(this.journalFd, Buffer.from(JSON.stringify(encodeIntent(rel, intent)) + '\n', 'latin1'))
  }

  /** Conflict copies of `rel` this host was placing when it last stopped (names to check in gv0). */
  placedCopiesOf(rel: Bytes): Bytes[] {
    const out: Bytes[] = []
    for (const [name, list] of this.intents) if (list.some((x) => x.of === rel)) out.push(name)
    return out
  }

  /** The ctime directory `rel` (inode `ino`) had when this host began removing its entries, if it did. */
  emptyingSince(rel: Bytes, ino: number): number | undefined {
    return this.intents.get(rel)?.find((x) => x.size === EMPTYING && x.ino === ino)?.mtimeMs
  }

  /** Notes, before the first entry goes, that this host removes the entries of directory `rel`. */
  noteEmptying(rel: Bytes, ino: number, ctimeMs: number): void {
    this.noteIntent(rel, { ino, size: EMPTYING, mtimeMs: ctimeMs })
  }

  /** Forgets the intents noted for `name` (a conflict copy now in a record, a directory handled). */
  forgetIntents(name: Bytes): void {
    this.intents.delete(name)
  }

  /** True when gv0's entry is one this host renamed into place but had not recorded yet. */
  isOurs(rel: Bytes, id: Intent | null): boolean {
    if (!id) return false
    return (this.intents.get(rel) ?? []).some((x) => x.ino === id.ino && x.size === id.size && sameTime(x.mtimeMs, id.mtimeMs))
  }

  private loadJournal(): void {
    let text: string
    try {
      text = readFileSync(this.journal, 'latin1')
    } catch {
      return
    }
    for (const line of text.split('\n')) {
      if (!line) continue
      try {
        const { rel, intent } = decodeIntent(JSON.parse(line) as CompactIntent)
        this.intents.set(rel, [...(this.intents.get(rel) ?? []), intent])
      } catch {
        // a torn last line: that rename never happened
      }
    }
  }

  /**
   * Reads the saved state. A missing file is a first start; a torn or garbled one is reported and
   * rebuilt from the cache (state-file.ts); a read error or a newer version's file is an error.
   */
  load(): void {
    this.loadJournal()
    const read = readStateFile(this.file)
    if (read.kind === 'none') return
    if (read.kind === 'unreadable') {
      this.aside = asideName(this.file)
      this.unreadable = `${this.file} is unreadable (${read.reason}): every cached entry is checked against gv0 again; the file is kept as ${this.aside}`
      this.dirty = true
      return
    }
    const parsed = read.data as StateFile
    if (parsed.v !== 1) throw new Error(`${this.file}: unknown state version ${String(parsed.v)}`)
    const now = Date.now()
    for (const [rel, compact] of Object.entries(parsed.records)) {
      const rec = decodeRecord(compact)
      if (rec.reclaimed && now - rec.publishedAt > RECLAIMED_RECORD_TTL_MS) continue
      this.records.set(rel, rec)
    }
    this.upperIno = parsed.upperIno ?? null
    this.gen = parsed.gen ?? 0
    // a conflict copy placed before the last save was recorded in it (its record may since have let it
    // go, at reclaim): only one placed after it can be a copy the crash kept from its record
    for (const [name, list] of this.intents) {
      const left = list.filter((x) => x.of === undefined || x.gen === this.gen)
      if (left.length) this.intents.set(name, left)
      else this.intents.delete(name)
    }
    this.conflicts = parsed.conflicts ?? []
    this.totals = { ...this.totals, ...parsed.totals }
    // reclaims a crash cut short: those entries may be gone from upper, and are not deletes
    for (const rel of this.reclaimed.read()) {
      const rec = this.records.get(rel)
      if (rec && !rec.reclaimed) {
        this.records.set(rel, reclaimedRecord(rec))
        this.dirty = true
      }
    }
  }

  /** Persists atomically (temp, fsync, rename, fsync dir). */
  save(): void {
    const records: Record<string, CompactRecord> = {}
    for (const [rel, rec] of this.records) records[rel] = encodeRecord(rec)
    const body: StateFile = { v: 1, upperIno: this.upperIno, records, conflicts: this.conflicts, totals: this.totals, gen: this.gen + 1 }
    if (this.aside !== null && existsSync(this.file)) renameSync(this.file, this.aside)
    this.aside = null
    // latin1 keeps the byte-string keys exact on disk
    writeFileAtomic(this.file, Buffer.from(JSON.stringify(body), 'latin1'), { beforeRename: () => crashPoint('state:synced-before-rename') })
    this.gen++
    crashPoint('state:saved-before-intents')
    this.reclaimed.clear()
    this.dirty = false
    // the saved records cover finished renames; keep only intents whose record is still missing
    if (this.journalFd !== null) {
      closeSync(this.journalFd)
      this.journalFd = null
    }
    // a conflict copy's intent still here has no record yet: noted before this save, its copy may be placed
    // after it, so it carries this save's generation and the next start keeps it (load)
    const lines: string[] = []
    for (const [r, list] of this.intents) {
      const now = list.map((x) => (x.of === undefined ? x : { ...x, gen: this.gen }))
      this.intents.set(r, now)
      for (const x of now) lines.push(JSON.stringify(encodeIntent(r, x)))
    }
    writeFileSync(this.journal, Buffer.from(lines.length ? lines.join('\n') + '\n' : '', 'latin1'))
  }

  get(rel: Bytes): PublishRecord | undefined {
    return this.records.get(rel)
  }

  set(rel: Bytes, rec: PublishRecord): void {
    this.records.set(rel, rec)
    this.intents.delete(rel)
    this.dirty = true
  }

  delete(rel: Bytes): void {
    if (this.records.delete(rel)) this.dirty = true
  }

  /** Remembers a conflict for `conflicts` and status, keeping the most recent ones. */
  addConflict(c: ConflictReport): void {
    this.conflicts.push(c)
    if (this.conflicts.length > KEEP_CONFLICTS) this.conflicts.splice(0, this.conflicts.length - KEEP_CONFLICTS)
    this.totals.conflicts++
    this.dirty = true
  }

  notePublished(bytes: number): void {
    this.totals.publishedEntries++
    this.totals.publishedBytes += bytes
    this.totals.lastPublish = new Date().toISOString()
    this.dirty = true
  }
}
