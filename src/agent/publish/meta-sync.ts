// Metadata that changes after the first publish: user xattrs and ACLs of files and directories, and
// directory owner and mode. Only what changed here since the record is pushed; what the other host
// changed meanwhile is left as it is. trusted.* and security.* never leave the cache.
import { constants, type Stats } from 'node:fs'
import { createHash } from 'node:crypto'
import { ACL_XATTRS, writeAcls } from '../fs/acls.ts'
import { fromBytes, type Bytes } from '../fs/paths.ts'
import type { PublishContext } from './publish-context.ts'
import type { UpperEntry } from '../watch/scan.ts'
import type { PublishRecord } from '../state/state-store.ts'
import { readXattrsOfFds, removeXattrsOfFd, writeUserXattrs, type Xattrs } from '../fs/xattrs.ts'

const isAcl = (name: string) => ACL_XATTRS.includes(name)
const synced = (name: string) => name.startsWith('user.') || isAcl(name)

/** Short hashes of the values of the xattrs that travel to gv0, by name; undefined when there are none. */
export function xattrDigest(x: Xattrs): Record<string, string> | undefined {
  let out: Record<string, string> | undefined
  for (const [name, value] of x) {
    if (!synced(name)) continue
    out ??= {}
    out[name] = createHash('sha256').update(value).digest('hex').slice(0, 12)
  }
  return out
}

function sameDigest(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ka = Object.keys(a ?? {})
  return ka.length === Object.keys(b ?? {}).length && ka.every((k) => a?.[k] === b?.[k])
}

/** True when the entry's user xattrs or ACLs changed here since the record (unreadable now: no). */
export function xattrsChangedHere(rec: PublishRecord | undefined, x: Xattrs | null): boolean {
  if (!x) return false
  return !rec || !sameDigest(rec.metaHashes, xattrDigest(x))
}

/** The record field for what gv0 got: the digest (kept as it was when the xattrs were unreadable). */
export function xattrFields(rec: PublishRecord | undefined, x: Xattrs | null): Partial<PublishRecord> {
  const xh = x ? xattrDigest(x) : rec?.metaHashes
  return xh === undefined ? {} : { metaHashes: xh }
}

/**
 * Brings what changed here since `prev` (the record's digest) to an existing gv0 file or directory:
 * xattrs set or changed here are set, those removed here are removed. Names unchanged here keep gv0's
 * value, so the other host's changes to them stay. Removing an access ACL leaves the group bits at its
 * mask, so the mode is set again after one was touched. A gv0 without ACL support is reported once.
 */
export async function syncXattrs(
  ctx: PublishContext,
  path: Bytes,
  want: Xattrs,
  prev: Record<string, string> | undefined,
  rel: Bytes,
  mode: number,
  /** checks the opened inode is still the one the caller judged (a file may be replaced meanwhile) */
  expect?: (st: Stats) => boolean,
): Promise<void> {
  const now = xattrDigest(want) ?? {}
  const fh = await ctx.lowerFs.open(path, constants.O_RDONLY | constants.O_NONBLOCK)
  try {
    if (expect && !expect(await fh.stat())) throw Object.assign(new Error(`${fromBytes(path)} changed in gv0 during publish`), { code: 'EAGAIN' })
    const [have] = await readXattrsOfFds([fh.fd])
    const set: Xattrs = new Map()
    const gone: string[] = []
    for (const [name, value] of want) {
      if (synced(name) && prev?.[name] !== now[name] && !have.get(name)?.equals(value)) set.set(name, value)
    }
    for (const name of Object.keys(prev ?? {})) if (!want.has(name) && have.has(name)) gone.push(name)
    if (set.size === 0 && gone.length === 0) return
    await removeXattrsOfFd(fh.fd, gone.filter((n) => !isAcl(n)))
    await writeUserXattrs(fh.fd, set)
    const aclGone = gone.filter(isAcl)
    try {
      await removeXattrsOfFd(fh.fd, aclGone)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EOPNOTSUPP') throw err
    }
    await writeAcls(ctx, fh.fd, set, rel)
    if (aclGone.length > 0 || [...set.keys()].some(isAcl)) await fh.chmod(mode & 0o7777)
  } finally {
    await fh.close()
  }
}

/** Owner and mode of an upper directory as the record keeps them. */
export function dirMeta(e: UpperEntry): [number, number, number] {
  return [e.uid, e.gid, e.mode & 0o7777]
}

/**
 * Which of the upper dir's owner and mode publishDir should push: only what changed here since the
 * record. A directory's ctime moves with every name added or removed in it, so pushing whatever
 * differs would revert the other host's chown or chmod at this host's next create there. A record
 * from before owner and mode were kept counts as unchanged here.
 */
export function dirMetaChangedHere(rec: PublishRecord | undefined, e: UpperEntry): { owner: boolean; mode: boolean } {
  if (!rec || rec.kind !== 'd' || rec.ino !== e.ino) return { owner: true, mode: true }
  if (!rec.dirAttrs) return { owner: false, mode: false }
  const [uid, gid, mode] = dirMeta(e)
  return { owner: rec.dirAttrs[0] !== uid || rec.dirAttrs[1] !== gid, mode: rec.dirAttrs[2] !== mode }
}
