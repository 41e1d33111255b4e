// Atomic publish of one upper file, symlink or directory into gv0 (flush contract 2, 3, 6).
import { constants, type Stats } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'
import type { Hash } from 'node:crypto'
import { hasAcl, writeAcls } from '../fs/acls.ts'
import { publishedTwin } from './hard-links.ts'
import { lowerId, sameLower, sameTime, type LowerId } from '../fs/entry-identity.ts'
import { baseName, fromBytes, joinRel, parentRel, type Bytes } from '../fs/paths.ts'
import { remoteChanged, type PublishContext } from './publish-context.ts'
import { removeLower } from './remove-lower.ts'
import { bornMs, type UpperEntry } from '../watch/scan.ts'
import type { PublishRecord } from '../state/state-store.ts'
import { tempName } from './temp-files.ts'
import { dirMeta, dirMetaChangedHere, syncXattrs, xattrFields, xattrsChangedHere } from './meta-sync.ts'
import { conflictRel, isCopyUp, linkAsConflict, linkIntoPlace, reclaimedDirUnseen, seenUpTo, unseenByUnion } from './no-clobber.ts'
import { openScannedFile } from './upper-source.ts'
import { contentHash, digestOf, sameBytesAsGv0, upperDigest } from './content-digest.ts'
import { writeUserXattrs, type Xattrs } from '../fs/xattrs.ts'

export type Outcome =
  | { result: 'published'; bytes: number; target: Bytes }
  | { result: 'already' }
  | { result: 'conflict'; bytes: number; target: Bytes }
  | { result: 'changed'; reason: string }

function sameUpper(a: UpperEntry, b: { ino: number; size: number; mtimeMs: number; ctimeMs: number }): boolean {
  return a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs
}

function record(e: UpperEntry, L: PublishRecord['L'], extra: Partial<PublishRecord> = {}): PublishRecord {
  const k = e.kind === 'other' ? 'f' : e.kind
  return { k, i: e.ino, s: e.size, m: e.mtimeMs, c: e.ctimeMs, L, t: Date.now(), ...extra }
}

/** This host's temporary name for `target`, in the same gv0 directory (so the rename is atomic). */
function tempFor(ctx: PublishContext, target: Bytes): Bytes {
  return joinRel(parentRel(target), tempName(ctx.host, baseName(target)))
}

/** Where the local version goes, and (for its own name) gv0's entry there, to compare again before the rename. */
interface Target {
  target: Bytes
  conflict: boolean
  /** gv0's identity at `target` when publishing started; undefined for a conflict copy */
  before?: LowerId | null
}

/**
 * Where later local versions go once this name is in conflict: the same conflict copy while gv0 still
 * holds it as this host wrote it, a new one when the other host edited (or removed) it.
 */
async function conflictTarget(ctx: PublishContext, rel: Bytes, x: Bytes, X: LowerId | null | undefined): Promise<Target> {
  if (X === undefined) return { target: x, conflict: true } // recorded before copies were checked
  const now = lowerId(await ctx.lowerFs.lstatOrNull(x))
  if (now !== null && sameLower(now, X)) return { target: x, conflict: true, before: X }
  return { target: conflictRel(ctx, rel), conflict: true, before: null }
}

/**
 * Decides where the local version goes: its own name, or a conflict name when gv0 changed too.
 * A name this host has no record of counts as changed when the union may never have shown gv0's
 * entry there (no-clobber.ts). A non-matching entry in the way (e.g. a directory where a file now
 * is) is removed when unchanged.
 */
async function chooseTarget(ctx: PublishContext, e: UpperEntry, wantDir: boolean, known?: Stats | null, x?: Xattrs | null): Promise<Target> {
  const rec = ctx.state.get(e.rel)
  if (rec?.x) return await conflictTarget(ctx, e.rel, rec.x, rec.X)
  const st = known !== undefined ? known : await ctx.lowerFs.lstatOrNull(e.rel)
  const id = lowerId(st)
  const ref = bornMs(e)
  const typeClash = st !== null && st.isDirectory() !== wantDir
  const changed = rec ? remoteChanged(ctx, e.rel, id, ref) || (typeClash && reclaimedDirUnseen(ctx, e, rec, id)) : unseenByUnion(ctx, e, id, x)
  if (changed && !(wantDir && st?.isDirectory())) {
    return { target: conflictRel(ctx, e.rel), conflict: true, before: null }
  }
  if (typeClash) {
    // the union may have hidden gv0's directory since a stale "no such name" (a reclaimed record's
    // inode may even be reused): what changed below it within that window was never seen here
    const kept = await removeLower(ctx, e.rel, seenUpTo(ctx, ref), 'replaced by a different kind of entry on this host')
    if (kept.length > 0) {
      return { target: conflictRel(ctx, e.rel), conflict: true, before: null }
    }
    // lower changed under us: whatever is there now is the baseline the rename checks against
    return { target: e.rel, conflict: false, before: lowerId(await ctx.lowerFs.lstatOrNull(e.rel)) }
  }
  return { target: e.rel, conflict: false, before: id }
}

async function recheck(ctx: PublishContext, e: UpperEntry): Promise<string | null> {
  try {
    const now = await ctx.upperFs.lstat(e.rel)
    if (!sameUpper(e, now)) return 'changed during publish'
  } catch {
    return 'vanished during publish'
  }
  // a writer that opened it since the pass looked, and has not changed its size or times yet
  return e.kind === 'f' ? await ctx.busy(e.rel) : null
}

function reportConflict(ctx: PublishContext, e: UpperEntry, target: Bytes, oldCopy?: Bytes): void {
  const why = oldCopy
    ? `its conflict copy ${fromBytes(baseName(oldCopy))} changed in gv0`
    : 'changed here and in gv0 since this host last saw it'
  ctx.report({
    time: ctx.now().toISOString(),
    path: fromBytes(e.rel),
    kind: 'modified-both',
    localCopy: fromBytes(target),
    message: `${why}: local version published as ${fromBytes(baseName(target))}`,
  })
}

/**
 * Moves a staged temp to the target unless upper changed meanwhile (the temp is then removed), and
 * answers where it went. The intent is noted first, so a crash right after does not look like a
 * remote change. A name that was free (`before` null) is taken with link(2), which never replaces:
 * when the other host took it meanwhile, its file stays and the local version becomes a conflict
 * copy. A target that changed in gv0 since `before` is not overwritten: the entry is published again
 * later, and chooseTarget then sees the remote change and makes it a conflict.
 */
async function renameIntoPlace(ctx: PublishContext, e: UpperEntry, tmp: Bytes, chosen: Target): Promise<Outcome | Target> {
  const { target, conflict, before } = chosen
  const changed = await recheck(ctx, e)
  if (changed) {
    await ctx.lowerFs.unlink(tmp)
    return { result: 'changed', reason: changed }
  }
  const staged = await ctx.lowerFs.lstat(tmp)
  if (!conflict) ctx.state.noteIntent(e.rel, { i: staged.ino, s: staged.size, m: staged.mtimeMs })
  if (before === null) {
    if (await linkIntoPlace(ctx, tmp, target)) return chosen
    const copy = await linkAsConflict(ctx, e.rel, tmp)
    return { target: copy, conflict: true, before: null }
  }
  if (before !== undefined) {
    if (!sameLower(lowerId(await ctx.lowerFs.lstatOrNull(target)), before)) {
      await ctx.lowerFs.unlink(tmp)
      return { result: 'changed', reason: 'gv0 changed during publish' }
    }
  }
  await ctx.lowerFs.rename(tmp, target)
  return chosen
}

/**
 * Records a placed entry; a conflict copy keeps gv0's baseline and its own identity, and is reported
 * whenever it is a new one.
 */
async function recordPublish(
  ctx: PublishContext,
  e: UpperEntry,
  rec: PublishRecord | undefined,
  { target, conflict }: Target,
  bytes: number,
  extra: Partial<PublishRecord> = {},
): Promise<Outcome> {
  const after = lowerId(await ctx.lowerFs.lstat(target))
  if (conflict) {
    const base = rec?.x ? rec.L : lowerId(await ctx.lowerFs.lstatOrNull(e.rel))
    ctx.state.set(e.rel, record(e, base, { ...extra, x: target, X: after }))
    if (rec?.x !== target) reportConflict(ctx, e, target, rec?.x)
    return { result: 'conflict', bytes, target }
  }
  ctx.state.set(e.rel, record(e, after, extra))
  return { result: 'published', bytes, target }
}

const COPY_CHUNK = 1 << 20

/** Creates `tmp` exclusively with the entry's mode, so no extra chmod round trip is needed in the usual case. */
async function createTemp(ctx: PublishContext, tmp: Bytes, mode: number): Promise<FileHandle> {
  try {
    return await ctx.lowerFs.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    await ctx.lowerFs.unlink(tmp) // this process's own leftover (the name carries host and pid)
    return await ctx.lowerFs.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode)
  }
}

/**
 * Copies the upper file's bytes into an open temp file. Reads at most `size` + 1 bytes: a file that grew
 * is reported as such (more than `size` copied) instead of being chased while a writer appends.
 */
async function copyInto(ctx: PublishContext, rel: Bytes, ino: number, dst: FileHandle, size: number, hash: Hash): Promise<number> {
  const from = await openScannedFile(ctx.upperFs, rel, ino)
  try {
    const buf = Buffer.allocUnsafe(Math.min(COPY_CHUNK, size + 1))
    let copied = 0
    while (copied <= size) {
      const { bytesRead } = await from.read(buf, 0, Math.min(buf.length, size + 1 - copied), copied)
      if (bytesRead === 0) break
      hash.update(buf.subarray(0, bytesRead))
      let off = 0
      while (off < bytesRead) off += (await dst.write(buf, off, bytesRead - off, copied + off)).bytesWritten
      copied += bytesRead
    }
    return copied
  } finally {
    await from.close()
  }
}

/**
 * Copies a regular file under a temp name, sets owner/mode/xattrs/times, fsyncs, rechecks, renames.
 * gv0 is a FUSE mount: every lookup of a missing name, create and rename in one directory holds that
 * directory's lock for a WAN round trip or more, so publishes into one directory run one such step at a
 * time. The target is therefore looked up once before the copy and once just before the rename, and
 * the temp file is created, filled and finished through one descriptor.
 */
export async function publishFile(ctx: PublishContext, e: UpperEntry, xattrs: Xattrs | null): Promise<Outcome> {
  const rec = ctx.state.get(e.rel)
  const herePath = rec?.x ?? e.rel
  const here = await ctx.lowerFs.lstatOrNull(herePath)
  if (here?.isFile() && here.size === e.size && sameTime(here.mtimeMs, e.mtimeMs)) {
    // a publish that finished before a crash, or a copy-up that changed nothing but metadata; a name
    // this host has no record of may also hold the other host's file, which is never taken as ours.
    // Same size and mtime are no proof of same bytes (cp -p, tar, touch -r): the content is checked.
    if (rec || isCopyUp(xattrs) || ctx.state.isOurs(e.rel, lowerId(here))) {
      const h = await publishedContent(ctx, e, rec, herePath, here)
      if (h !== null) return await publishMetadata(ctx, e, rec, herePath, here, xattrs, h)
    }
  }
  // without a conflict record, `here` is gv0's entry at the file's own name: no second lookup
  const chosen = await chooseTarget(ctx, e, false, rec?.x ? undefined : here, xattrs)
  const { target, conflict } = chosen
  const tmp = tempFor(ctx, target)
  const busy = await ctx.busy(e.rel)
  if (busy) return { result: 'changed', reason: busy }
  let placed: Outcome | Target
  if (!conflict && e.nlink > 1) {
    const linked = await publishLink(ctx, e, rec, tmp, chosen)
    if (linked) return linked
  }
  const want = e.mode & 0o7777
  let fh: FileHandle | null = await createTemp(ctx, tmp, want)
  const hash = contentHash()
  try {
    try {
      // attributes come with the create reply: this fstat is answered from the kernel's cache
      const created = await fh.stat()
      const copied = await copyInto(ctx, e.rel, e.ino, fh, e.size, hash)
      if (copied !== e.size) {
        await fh.close()
        fh = null
        await ctx.lowerFs.unlink(tmp)
        return { result: 'changed', reason: 'changed during publish' }
      }
      const chowned = created.uid !== e.uid || created.gid !== e.gid
      if (chowned) await fh.chown(e.uid, e.gid)
      // chown clears set-id bits, and umask or a set-group-id parent may have changed the mode at create
      if ((created.mode & 0o7777) !== want || (chowned && (want & 0o6000) !== 0)) await fh.chmod(want)
      if (xattrs) await writeUserXattrs(fh.fd, xattrs)
      // after the chmod: an access ACL sets the group bits from its mask, as it does in upper
      await writeAcls(ctx, fh.fd, xattrs, e.rel)
      await fh.utimes(e.atimeMs / 1000, e.mtimeMs / 1000)
      await fh.sync()
    } finally {
      await fh?.close()
    }
    placed = await renameIntoPlace(ctx, e, tmp, chosen)
    if ('result' in placed) return placed
  } catch (err) {
    await ctx.lowerFs.unlink(tmp).catch(() => {})
    throw err
  }
  return await recordPublish(ctx, e, rec, placed, e.size, { ...xattrFields(undefined, xattrs), h: digestOf(hash) })
}

/**
 * The digest of the upper file when gv0's file at `p` (same size and mtime) holds its bytes, else null.
 * While gv0 still holds the version recorded, the record's digest answers with a local read only.
 */
async function publishedContent(ctx: PublishContext, e: UpperEntry, rec: PublishRecord | undefined, p: Bytes, here: Stats): Promise<string | null> {
  const recorded = rec ? (rec.x ? rec.X : rec.L) : undefined
  if (rec?.h && recorded && sameLower(lowerId(here), recorded)) {
    const h = await upperDigest(ctx, e)
    return h === rec.h ? h : null
  }
  return await sameBytesAsGv0(ctx, e, p)
}

/**
 * gv0 holds the content already: brings owner, mode, user xattrs and ACLs up to date (a change of
 * those alone moves only the upper file's ctime) and records the entry.
 */
async function publishMetadata(ctx: PublishContext, e: UpperEntry, rec: PublishRecord | undefined, p: Bytes, here: Stats, xattrs: Xattrs | null, h: string): Promise<Outcome> {
  if (here.uid !== e.uid || here.gid !== e.gid) await ctx.lowerFs.lchown(p, e.uid, e.gid)
  if ((here.mode & 0o7777) !== (e.mode & 0o7777)) await ctx.lowerFs.chmod(p, e.mode & 0o7777)
  if (xattrs && xattrsChangedHere(rec, xattrs)) await syncXattrs(ctx, p, xattrs, rec?.xh, e.rel, e.mode)
  const now = lowerId(await ctx.lowerFs.lstat(p))
  const x = rec?.x ? { x: rec.x, X: now } : {}
  ctx.state.set(e.rel, record(e, rec?.x ? rec.L : now, { ...x, ...xattrFields(rec, xattrs), h }))
  return { result: 'already' }
}

/**
 * Publishes another name of an inode as a hard link to the copy gv0 already holds under its first name,
 * or returns null (nothing fit: the caller copies). The link is made under the temp name and renamed
 * into place, not made at the final name: link(2) there only works while the name is absent (an older
 * version has to be replaced, and EEXIST would leave it), and the rename runs the same checks (upper
 * unchanged, gv0 unchanged since the lookup) and intent note as a copy does.
 */
async function publishLink(ctx: PublishContext, e: UpperEntry, rec: PublishRecord | undefined, tmp: Bytes, chosen: Target): Promise<Outcome | null> {
  const twin = await publishedTwin(ctx, e)
  if (!twin) return null
  // the twin's size and mtime do not prove its bytes are still this inode's
  const h = ctx.state.get(twin.rel)?.h
  if (!h || (await upperDigest(ctx, e)) !== h) return null
  let placed: Outcome | Target
  await ctx.lowerFs.unlink(tmp).catch(() => {})
  await ctx.lowerFs.link(twin.rel, tmp)
  try {
    // one inode: the twin's owner and mode are e's unless they changed here since (the twin follows)
    if (twin.st.uid !== e.uid || twin.st.gid !== e.gid) await ctx.lowerFs.lchown(tmp, e.uid, e.gid)
    if ((twin.st.mode & 0o7777) !== (e.mode & 0o7777)) await ctx.lowerFs.chmod(tmp, e.mode & 0o7777)
    placed = await renameIntoPlace(ctx, e, tmp, chosen)
    if ('result' in placed) return placed
    // rename(2) onto another name of the same inode does nothing and leaves the temp name
    if (chosen.before?.i === twin.st.ino) await ctx.lowerFs.unlink(tmp).catch(() => {})
  } catch (err) {
    await ctx.lowerFs.unlink(tmp).catch(() => {})
    throw err
  }
  const out = await recordPublish(ctx, e, rec, placed, 0, { h })
  // the link moved ctime and link count of the inode: its other names take the new identity (with the
  // link count above 1, sameLower stops reading their later ctime changes as remote ones)
  const L = ctx.state.get(e.rel)?.L ?? null
  for (const rel of ctx.namesOf(e.ino)) {
    const other = ctx.state.get(rel)
    if (rel !== e.rel && other && !other.x && other.L?.i === twin.st.ino) ctx.state.set(rel, { ...other, L })
  }
  return out
}

/**
 * Recreates a symlink in gv0 atomically (temp link + rename), keeping owner and times. Like a file, a
 * link whose gv0 name changed remotely goes to a conflict name, also when the change lands mid-publish.
 */
export async function publishSymlink(ctx: PublishContext, e: UpperEntry): Promise<Outcome> {
  const linkTarget = await ctx.upperFs.readlink(e.rel)
  const rec = ctx.state.get(e.rel)
  const herePath = rec?.x ?? e.rel
  const here = await ctx.lowerFs.lstatOrNull(herePath)
  if (here?.isSymbolicLink() && (await ctx.lowerFs.readlink(herePath)).equals(linkTarget)) {
    ctx.state.set(e.rel, record(e, rec?.x ? rec.L : lowerId(here), rec?.x ? { x: rec.x, X: lowerId(here) } : {}))
    return { result: 'already' }
  }
  // without a conflict record, `here` is gv0's entry at the link's own name: no second lookup
  const chosen = await chooseTarget(ctx, e, false, rec?.x ? undefined : here)
  const tmp = tempFor(ctx, chosen.target)
  await ctx.lowerFs.unlink(tmp).catch(() => {})
  await ctx.lowerFs.symlink(linkTarget, tmp)
  let placed: Outcome | Target
  try {
    await ctx.lowerFs.lchown(tmp, e.uid, e.gid)
    await ctx.lowerFs.lutimes(tmp, e.atimeMs / 1000, e.mtimeMs / 1000)
    placed = await renameIntoPlace(ctx, e, tmp, chosen)
    if ('result' in placed) return placed
  } catch (err) {
    await ctx.lowerFs.unlink(tmp).catch(() => {})
    throw err
  }
  return await recordPublish(ctx, e, rec, placed, 0)
}

/** A directory this host published is gone from gv0 (another host removed it) but changed here since. */
function reportRecreated(ctx: PublishContext, rel: Bytes): void {
  ctx.report({
    time: ctx.now().toISOString(),
    path: fromBytes(rel),
    kind: 'dir-recreated',
    message: 'removed in gv0 by another host, but entries in it changed here: made again to publish them',
  })
}

/**
 * Makes sure the directory exists in gv0 with the upper dir's owner, mode, user xattrs and ACLs (`x`).
 * Of an existing one, only what changed here since the record is pushed (meta-sync.ts): the other
 * host's changes to it stay.
 */
export async function publishDir(ctx: PublishContext, e: UpperEntry, x: Xattrs | null = null): Promise<Outcome> {
  const path = e.rel
  let st = await ctx.lowerFs.lstatOrNull(path)
  const rec = ctx.state.get(e.rel)
  const removedThere = st === null && rec?.k === 'd'
  if (st && !st.isDirectory()) {
    const ref = bornMs(e)
    if (rec ? remoteChanged(ctx, e.rel, lowerId(st), ref) : unseenByUnion(ctx, e, lowerId(st), x)) {
      // keep gv0's newer non-directory under a conflict name, then create the directory
      const aside = await linkAsConflict(ctx, e.rel, path)
      ctx.report({
        time: ctx.now().toISOString(),
        path: fromBytes(e.rel),
        kind: 'type-changed',
        localCopy: fromBytes(aside),
        message: `replaced by a directory here but changed in gv0: gv0's version moved to ${fromBytes(baseName(aside))}`,
      })
    } else {
      await ctx.lowerFs.unlink(path)
    }
    st = null
  }
  let created = false
  if (!st) {
    try {
      await ctx.lowerFs.mkdir(path, e.mode & 0o7777)
      created = true
      if (removedThere) reportRecreated(ctx, e.rel)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    st = await ctx.lowerFs.lstat(path)
  }
  const push = created ? { owner: true, mode: true } : dirMetaChangedHere(rec, e)
  if (push.owner && (st.uid !== e.uid || st.gid !== e.gid)) await ctx.lowerFs.lchown(path, e.uid, e.gid)
  if (push.mode && (st.mode & 0o7777) !== (e.mode & 0o7777)) await ctx.lowerFs.chmod(path, e.mode & 0o7777)
  if (created && x && (hasAcl(x) || [...x.keys()].some((n) => n.startsWith('user.')))) {
    const dir = await ctx.lowerFs.open(path, constants.O_RDONLY | constants.O_DIRECTORY)
    try {
      await writeUserXattrs(dir.fd, x)
      await writeAcls(ctx, dir.fd, x, e.rel)
    } finally {
      await dir.close()
    }
  } else if (!created && x && xattrsChangedHere(rec, x)) {
    await syncXattrs(ctx, path, x, rec?.xh, e.rel, e.mode)
  }
  const keep: Partial<PublishRecord> = rec?.k === 'd' && rec.i === e.ino && rec.op ? { op: 1 } : {}
  ctx.state.set(e.rel, record(e, lowerId(st), { ...keep, ...xattrFields(rec, x), a: dirMeta(e) }))
  return { result: 'published', bytes: 0, target: e.rel }
}
