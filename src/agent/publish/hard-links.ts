// Hard links in upper stay hard links in gv0: a second name of an inode links to the first one's copy.
import type { Stats } from 'node:fs'
import { lowerId, sameLower } from '../fs/entry-identity.ts'
import type { Bytes } from '../fs/paths.ts'
import type { PublishContext } from './publish-context.ts'
import type { UpperEntry } from '../watch/scan.ts'

/** Upper names per inode, for files with more than one name. */
export function linkGroups(entries: Iterable<UpperEntry>): Map<number, Bytes[]> {
  const out = new Map<number, Bytes[]>()
  for (const e of entries) {
    if (e.kind !== 'f' || e.nlink < 2) continue
    const names = out.get(e.ino)
    if (names) names.push(e.rel)
    else out.set(e.ino, [e.rel])
  }
  return out
}

/**
 * Splits entries into the first name of each inode, then its other names: run one after the other,
 * the later names find the first one published and link to it instead of racing it with a copy.
 */
export function linkOrder(entries: UpperEntry[]): UpperEntry[][] {
  const seen = new Set<number>()
  const first: UpperEntry[] = []
  const later: UpperEntry[] = []
  for (const e of entries) {
    if (e.kind !== 'f' || e.nlink < 2) first.push(e)
    else if (seen.has(e.ino)) later.push(e)
    else {
      seen.add(e.ino)
      first.push(e)
    }
  }
  return later.length ? [first, later] : [first]
}

/**
 * Another upper name of e's inode that this host published with e's current content and that gv0
 * still holds as published (same identity as recorded), or null: then e is copied as usual.
 */
export async function publishedTwin(ctx: PublishContext, e: UpperEntry): Promise<{ rel: Bytes; st: Stats } | null> {
  for (const rel of ctx.namesOf(e.ino)) {
    if (rel === e.rel) continue
    const rec = ctx.state.get(rel)
    // ctime is left out: adding a name moved it; size and mtime say the content is the same
    if (!rec || rec.kind !== 'f' || rec.conflictPath || rec.reclaimed || rec.ino !== e.ino || rec.size !== e.size || rec.mtimeMs !== e.mtimeMs) continue
    const st = await ctx.lowerFs.lstatOrNull(rel)
    if (st?.isFile() && sameLower(lowerId(st), rec.lower)) return { rel, st }
  }
  return null
}
