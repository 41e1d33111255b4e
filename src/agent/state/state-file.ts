// Reading state.json without trusting it. The file is written atomically (fsync, rename), so it is torn
// or garbled only by the disk, a file system without ordered data, or a hand: then the agent must not
// stop draining, and must not guess. It starts with no records and rebuilds from the cache: every upper
// entry is pending again and is compared with gv0 like a first publish (equal bytes are adopted, others
// become conflict copies), so nothing is lost; at worst a needless conflict copy, and a delete made
// without a whiteout in a directory created here is not applied (gv0 keeps that file). The unreadable
// file is kept beside the new one for a look.
import { readFileSync } from 'node:fs'

export type StateRead = { kind: 'none' } | { kind: 'unreadable'; reason: string } | { kind: 'ok'; data: unknown }

/** What state.json holds as parsed JSON, whether there is none, or why it cannot be used. */
export function readStateFile(file: string): StateRead {
  let text: string
  try {
    text = readFileSync(file, 'latin1')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' }
    throw err // EACCES, EIO: the file may be fine; never start over on a read error
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    return { kind: 'unreadable', reason: text.length === 0 ? 'empty' : `not JSON: ${(err as Error).message.slice(0, 60)}` }
  }
  const problem = shapeProblem(parsed)
  return problem ? { kind: 'unreadable', reason: problem } : { kind: 'ok', data: parsed }
}

const num = (x: unknown) => typeof x === 'number' && Number.isFinite(x)

function shapeProblem(p: unknown): string | null {
  if (typeof p !== 'object' || p === null || Array.isArray(p)) return 'not an object'
  const o = p as Record<string, unknown>
  // a newer version's file is not garbage: the caller refuses it with its own message
  if (o.v !== 1) return null
  if (typeof o.records !== 'object' || o.records === null || Array.isArray(o.records)) return 'no records'
  for (const [rel, r] of Object.entries(o.records)) {
    const c = r as Record<string, unknown> | null
    if (typeof c !== 'object' || c === null || typeof c.k !== 'string' || ![c.i, c.s, c.m, c.c, c.t].every(num)) {
      return `bad record for ${JSON.stringify(rel).slice(0, 80)}`
    }
  }
  if (o.conflicts !== undefined && !Array.isArray(o.conflicts)) return 'bad conflicts'
  return null
}

/** The name an unreadable state file is kept under once a save takes its place. */
export function asideName(file: string, at = new Date()): string {
  return `${file}.unreadable-${at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`
}
