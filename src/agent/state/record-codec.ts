// The on-disk form of the agent's records. state.json and intents.log keep one-letter fields (a large
// cache holds hundreds of thousands of records); everything in memory uses the word names. Files
// written by every earlier version read back unchanged: the compact form has not changed, only where
// it is spelled out.
import type { EntryKind, LowerId } from '../fs/entry-identity.ts'
import type { Intent, PublishRecord } from './records.ts'

/** LowerId on disk. */
export interface CompactLower {
  k: EntryKind
  i: number
  s: number
  m: number
  c: number
  n?: number
}

/** PublishRecord on disk. */
export interface CompactRecord {
  k: EntryKind
  i: number
  s: number
  m: number
  c: number
  L: CompactLower | null
  t: number
  x?: string
  X?: CompactLower | null
  xh?: Record<string, string>
  a?: [number, number, number]
  h?: string
  op?: 1
  hs?: number
  r?: 1
}

/** One intents.log line. */
export interface CompactIntent {
  r: string
  i: number
  s: number
  m: number
  o?: string
  g?: number
}

export function encodeLower(id: LowerId): CompactLower {
  const out: CompactLower = { k: id.kind, i: id.ino, s: id.size, m: id.mtimeMs, c: id.ctimeMs }
  if (id.links !== undefined) out.n = id.links
  return out
}

export function decodeLower(c: CompactLower): LowerId {
  const id: LowerId = { kind: c.k, ino: c.i, size: c.s, mtimeMs: c.m, ctimeMs: c.c }
  if (c.n !== undefined) id.links = c.n
  return id
}

const encodeMaybe = (id: LowerId | null): CompactLower | null => (id === null ? null : encodeLower(id))
const decodeMaybe = (c: CompactLower | null): LowerId | null => (c === null ? null : decodeLower(c))

export function encodeRecord(rec: PublishRecord): CompactRecord {
  const out: CompactRecord = {
    k: rec.kind, i: rec.ino, s: rec.size, m: rec.mtimeMs, c: rec.ctimeMs, L: encodeMaybe(rec.lower), t: rec.publishedAt,
  }
  if (rec.conflictPath !== undefined) out.x = rec.conflictPath
  if (rec.conflictLower !== undefined) out.X = encodeMaybe(rec.conflictLower)
  if (rec.metaHashes !== undefined) out.xh = rec.metaHashes
  if (rec.dirAttrs !== undefined) out.a = rec.dirAttrs
  if (rec.digest !== undefined) out.h = rec.digest
  if (rec.opaqueDone) out.op = 1
  if (rec.hiddenSinceMs !== undefined) out.hs = rec.hiddenSinceMs
  if (rec.reclaimed) out.r = 1
  return out
}

export function decodeRecord(c: CompactRecord): PublishRecord {
  const rec: PublishRecord = {
    kind: c.k, ino: c.i, size: c.s, mtimeMs: c.m, ctimeMs: c.c, lower: decodeMaybe(c.L), publishedAt: c.t,
  }
  if (c.x !== undefined) rec.conflictPath = c.x
  if (c.X !== undefined) rec.conflictLower = decodeMaybe(c.X)
  if (c.xh !== undefined) rec.metaHashes = c.xh
  if (c.a !== undefined) rec.dirAttrs = c.a
  if (c.h !== undefined) rec.digest = c.h
  if (c.op) rec.opaqueDone = true
  if (c.hs !== undefined) rec.hiddenSinceMs = c.hs
  if (c.r) rec.reclaimed = true
  return rec
}

export function encodeIntent(rel: string, x: Intent): CompactIntent {
  return x.of === undefined ? { r: rel, i: x.ino, s: x.size, m: x.mtimeMs } : { r: rel, i: x.ino, s: x.size, m: x.mtimeMs, o: x.of, g: x.gen }
}

export function decodeIntent(c: CompactIntent): { rel: string; intent: Intent } {
  const intent: Intent = { ino: c.i, size: c.s, mtimeMs: c.m }
  if (c.o !== undefined) intent.of = c.o
  if (c.g !== undefined) intent.gen = c.g
  return { rel: c.r, intent }
}
