// The errors status reports: the latest per key, a running total, and warnings given once per key.
import type { Log } from '../service/log.ts'

export interface ReportedError {
  time: string
  message: string
}

const ENTRY = 'entry:'

export class ErrorRegistry {
  private readonly byKey = new Map<string, ReportedError>()
  private readonly warned = new Set<string>()
  total = 0

  constructor(private readonly log: Log) {}

  note(key: string, message: string): void {
    this.total++
    // re-noted, an error moves to the end: `latest` is by the last time it happened, not the first
    this.byKey.delete(key)
    this.byKey.set(key, { time: new Date().toISOString(), message })
    // an entry's trouble (keys "kind:path") is retried while the rest flows (contract item 10): a warning
    this.log(`error: ${message}`, key.includes(':') ? 'warning' : 'err')
  }

  /** Notes `message` the first time `key` is seen, never again in this process. */
  warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return
    this.warned.add(key)
    this.note(key, message)
  }

  clear(key: string): void {
    this.byKey.delete(key)
  }

  /** The error of one entry (its relative path), kept apart from the agent's own keys. */
  noteEntry(rel: string, message: string): void {
    this.note(ENTRY + rel, message)
  }

  clearEntry(rel: string): void {
    this.byKey.delete(ENTRY + rel)
  }

  /** Forgets the errors of entries that are gone: nothing of theirs is left to publish or to fix. */
  clearEntriesGone(exists: (rel: string) => boolean): void {
    for (const key of this.byKey.keys()) if (key.startsWith(ENTRY) && !exists(key.slice(ENTRY.length))) this.byKey.delete(key)
  }

  /** How many are unresolved (status lists the newest of them only). */
  get size(): number {
    return this.byKey.size
  }

  /** The newest `n`, oldest first. */
  latest(n: number): ReportedError[] {
    return [...this.byKey.values()].slice(-n)
  }
}
