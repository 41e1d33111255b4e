// Reclaim marks made durable before the upper entries they name are removed (flush contract 1).
// Without them a crash between an unlink and the next state save reads the reclaimed entry as a
// local delete and removes gv0's copy. Marks are appended and fsynced per batch (cheap), and the
// journal is emptied once a saved state carries them.
import { closeSync, fsyncSync, openSync, readFileSync, statSync, truncateSync, writeSync } from 'node:fs'
import type { Bytes } from '../fs/paths.ts'

export class ReclaimJournal {
  constructor(readonly file: string) {}

  /** Appends the marks and fsyncs: only then may the entries be unlinked. */
  append(rels: Bytes[]): void {
    if (rels.length === 0) return
    const fd = openSync(this.file, 'a', 0o644)
    try {
      const buf = Buffer.from(rels.map((r) => JSON.stringify(r)).join('\n') + '\n', 'latin1')
      let off = 0
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
  }

  /** Marks since the last saved state; a torn last line was never followed by its unlinks. */
  read(): Bytes[] {
    let text: string
    try {
      text = readFileSync(this.file, 'latin1')
    } catch {
      return []
    }
    const out: Bytes[] = []
    for (const line of text.split('\n')) {
      if (!line) continue
      try {
        out.push(JSON.parse(line) as Bytes)
      } catch {
        // torn write: its batch was not unlinked
      }
    }
    return out
  }

  /** Empties the journal durably (call only after a durable state save that holds the marks). */
  clear(): void {
    try {
      if (statSync(this.file).size === 0) return
    } catch {
      return
    }
    truncateSync(this.file, 0)
    const fd = openSync(this.file, 'r+')
    try {
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
  }
}
