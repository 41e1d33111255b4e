// Atomic publish of one upper file into gv0 (flush contract 2, 3, 6): a temp in the same directory, filled,
// finished and synced through one descriptor, then renamed or linked into place (placement.ts).
import { constants, type Stats } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'
import type { Hash } from 'node:crypto'
import { writeAcls } from '../fs/acls.ts'
import { crashPoint } from '../core/crash-points.ts'
import { publishedTwin } from './hard-links.ts'
import { lowerId, sameLower, sameTime, type LowerId } from '../fs/entry-identity.ts'
import { underNameLock } from '../fs/name-locks.ts'
import type { Bytes } from '../fs/paths.ts'
import type { PublishContext } from './publish-context.ts'
import type { UpperEntry } from '../watch/scan.ts'
import type { PublishRecord } from '../state/state-store.ts'
import { syncXattrs, xattrFields, xattrsChangedHere } from './meta-sync.ts'
import { isCopyUp } from './no-clobber.ts'
import { openScannedFile } from './upper-source.ts'
import { mayChangeInPlace, setOwnerModeInPlace } from './in-place.ts'
import { adoptPlacedCopy } from './placed-copies.ts'
import { contentHash, digestOf, sameBytesAsGv0, upperDigest } from './content-digest.ts'
import { writeUserXattrs, type Xattrs } from '../fs/xattrs.ts'
import { chooseTarget, record, recordPublish, renameIntoPlace, tempFor, type Outcome, type Target } from './placement.ts'
import { freeName, likelyFree } from './first-publish.ts'

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
 * is reported as such (more than `size` copied) instead of being chased while a writer appends. In a
 * sparse file (fewer blocks than bytes) chunks of zeros are not written, nor sent over the link: the
 * fresh temp reads them back as a hole, so the file stays sparse in gv0; the size is set at the end.
 */
async function copyInto(ctx: PublishContext, rel: Bytes, ino: number, dst: FileHandle, size: number, hash: Hash): Promise<number> {
  const from = await openScannedFile(ctx.upperFs, rel, ino)
  let copied = 0
  let taken = 0
  let hole = false
  try {
    const sparse = (await from.stat()).blocks * 512 < size
    const buf = Buffer.allocUnsafe(Math.min(COPY_CHUNK, size + 1))
    while (copied <= size) {
      const want = Math.min(ctx.uplink ? ctx.uplink.chunkBytes(buf.length) : buf.length, size + 1 - copied)
      const { bytesRead } = await from.read(buf, 0, want, copied)
      if (bytesRead === 0) break
      hash.update(buf.subarray(0, bytesRead))
      hole = sparse && allZero(buf, bytesRead)
      if (!hole) {
        await ctx.uplink?.take(bytesRead)
        taken += bytesRead
        let off = 0
        while (off < bytesRead) off += (await dst.write(buf, off, bytesRead - off, copied + off)).bytesWritten
      }
      copied += bytesRead
    }
    if (hole && copied === size) await dst.truncate(size)
    return copied
  } finally {
    ctx.uplink?.copyEnded(taken)
    await from.close()
  }
}

const ZEROS = Buffer.alloc(COPY_CHUNK)

function allZero(buf: Buffer, n: number): boolean {
  return buf.compare(ZEROS, 0, n, 0, n) === 0
}

/**
 * Copies a regular file under a temp name, sets owner/mode/xattrs/times, fsyncs, rechecks, renames.
 * gv0 is a FUSE mount: every lookup of a missing name, create and rename in one directory holds that
 * directory's lock for a WAN round trip or more, so publishes into one directory run one such step at a
 * time. The target is therefore looked up once before the copy and once just before the rename, and
 * the temp file is created, filled and finished through one descriptor.
 */
export async function publishFile(ctx: PublishContext, e: UpperEntry, xattrs: Xattrs | null): Promise<Outcome> {
  await adoptPlacedCopy(ctx, e.rel)
  const rec = ctx.state.get(e.rel)
  const unlooked = likelyFree(e, rec, xattrs)
  const herePath = rec?.conflictPath ?? e.rel
  const here = unlooked ? null : await ctx.lowerFs.lstatOrNull(herePath)
  if (here?.isFile() && here.size === e.size && sameTime(here.mtimeMs, e.mtimeMs)) {
    // a publish that finished before a crash, or a copy-up that changed nothing but metadata; a name
    // this host has no record of may also hold the other host's file, which is never taken as ours.
    // Same size and mtime are no proof of same bytes (cp -p, tar, touch -r): the content is checked.
    if (rec || isCopyUp(xattrs) || ctx.state.isOurs(e.rel, lowerId(here))) {
      const h = await publishedContent(ctx, e, rec, herePath, here)
      const done = h !== null ? await publishMetadata(ctx, e, rec, herePath, here, xattrs, h) : null
      if (done) return done
    }
  }
  // without a conflict record, `here` is gv0's entry at the file's own name: no second lookup
  const chosen = unlooked ? freeName(e) : await chooseTarget(ctx, e, false, rec?.conflictPath ? undefined : here, xattrs)
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
  crashPoint('publish:temp-created')
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
    // taken after all: decided as if it had been looked up first
    const ifTaken = unlooked ? () => chooseTarget(ctx, e, false, undefined, xattrs) : undefined
    placed = await renameIntoPlace(ctx, e, tmp, chosen, ifTaken)
    if ('result' in placed) return placed
  } catch (err) {
    await ctx.lowerFs.unlink(tmp).catch(() => {})
    throw err
  }
  return await recordPublish(ctx, e, rec, placed, e.size, { ...xattrFields(undefined, xattrs), digest: digestOf(hash) })
}

/**
 * The digest of the upper file when gv0's file at `p` (same size and mtime) holds its bytes, else null.
 * While gv0 still holds the version recorded, the record's digest answers with a local read only.
 */
async function publishedContent(ctx: PublishContext, e: UpperEntry, rec: PublishRecord | undefined, p: Bytes, here: Stats): Promise<string | null> {
  const recorded = rec ? (rec.conflictPath ? rec.conflictLower : rec.lower) : undefined
  if (rec?.digest && recorded && sameLower(lowerId(here), recorded)) {
    const h = await upperDigest(ctx, e)
    return h === rec.digest ? h : null
  }
  return await sameBytesAsGv0(ctx, e, p)
}

/**
 * gv0 holds the content already: brings owner, mode, user xattrs and ACLs up to date (a change of
 * those alone moves only the upper file's ctime) and records the entry. Null: gv0's file may not be
 * changed in place (in-place.ts), or changed since `here`; a full publish replaces it instead.
 *
 * The change goes under the name's lock (name-locks.ts), after a look that finds gv0's entry still as
 * `here`: the other agent replaces a name only under that lock, after a look of its own. Without it, the
 * other agent's rename could replace the inode between this look and the change, which then went to an
 * inode no name holds any more, and this host's version was recorded as published while gv0 had lost it.
 */
async function publishMetadata(ctx: PublishContext, e: UpperEntry, rec: PublishRecord | undefined, p: Bytes, here: Stats, xattrs: Xattrs | null, h: string): Promise<Outcome | null> {
  if (!mayChangeInPlace(here, rec)) return null
  const metaChanged = here.uid !== e.uid || here.gid !== e.gid || (here.mode & 0o7777) !== (e.mode & 0o7777)
  const xattrsChanged = xattrs !== null && xattrsChangedHere(rec, xattrs)
  const change = async (changed: () => void): Promise<LowerId | null> => {
    if (!sameLower(lowerId(await ctx.lowerFs.lstatOrNull(p)), lowerId(here))) return null
    if (metaChanged) {
      if (!(await setOwnerModeInPlace(ctx, p, here, rec, e.uid, e.gid, e.mode & 0o7777))) return null
      changed()
    }
    const same = (st: Stats) => st.ino === here.ino && mayChangeInPlace(st, rec)
    if (xattrs && xattrsChanged) {
      await syncXattrs(ctx, p, xattrs, rec?.metaHashes, e.rel, e.mode, same)
      changed()
    }
    return lowerId(await ctx.lowerFs.lstat(p))
  }
  const now = metaChanged || xattrsChanged ? await underNameLock(ctx.names, p, change) : lowerId(await ctx.lowerFs.lstat(p))
  if (now === null) return null
  const x = rec?.conflictPath ? { conflictPath: rec.conflictPath, conflictLower: now } : {}
  ctx.state.set(e.rel, record(e, rec?.conflictPath ? rec.lower : now, { ...x, ...xattrFields(rec, xattrs), digest: h }))
  if (rec?.conflictPath) ctx.state.forgetIntents(rec.conflictPath)
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
  const h = ctx.state.get(twin.rel)?.digest
  if (!h || (await upperDigest(ctx, e)) !== h) return null
  let placed: Outcome | Target
  await ctx.lowerFs.unlink(tmp).catch(() => {})
  await ctx.lowerFs.link(twin.rel, tmp)
  try {
    // the other host may have put another inode at the twin's name since it was checked: never change that one
    if ((await ctx.lowerFs.lstat(tmp)).ino !== twin.st.ino) {
      await ctx.lowerFs.unlink(tmp)
      return null
    }
    // one inode: the twin's owner and mode are e's unless they changed here since (the twin follows)
    if (twin.st.uid !== e.uid || twin.st.gid !== e.gid) await ctx.lowerFs.lchown(tmp, e.uid, e.gid)
    if ((twin.st.mode & 0o7777) !== (e.mode & 0o7777)) await ctx.lowerFs.chmod(tmp, e.mode & 0o7777)
    placed = await renameIntoPlace(ctx, e, tmp, chosen)
    if ('result' in placed) return placed
    // rename(2) onto another name of the same inode does nothing and leaves the temp name
    if (chosen.before?.ino === twin.st.ino) await ctx.lowerFs.unlink(tmp).catch(() => {})
  } catch (err) {
    await ctx.lowerFs.unlink(tmp).catch(() => {})
    throw err
  }
  const out = await recordPublish(ctx, e, rec, placed, 0, { digest: h })
  // the link moved ctime and link count of the inode: its other names take the new identity (with the
  // link count above 1, sameLower stops reading their later ctime changes as remote ones)
  const L = ctx.state.get(e.rel)?.lower ?? null
  for (const rel of ctx.namesOf(e.ino)) {
    const other = ctx.state.get(rel)
    if (rel !== e.rel && other && !other.conflictPath && other.lower?.ino === twin.st.ino) ctx.state.set(rel, { ...other, lower: L })
  }
  return out
}
