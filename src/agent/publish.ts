// Atomic publish of one upper file, symlink or directory into gv0 (flush contract 2, 3, 6).
import { constants, type Stats } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'
import { hasAcl, writeAcls } from './acls.ts'
import { conflictName } from './conflicts.ts'
import { publishedTwin } from './hard-links.ts'
import { lowerId, sameLower, sameTime } from './lower.ts'
import { baseName, fromBytes, joinRel, parentRel, type Bytes } from './paths.ts'
import { remoteChanged, type PublishContext } from './publish-context.ts'
import { removeLower } from './remove-lower.ts'
import { bornMs, type UpperEntry } from './scan.ts'
import type { LowerId, PublishRecord } from './state-store.ts'
import { tempName } from './temp-files.ts'
import { writeUserXattrs, type Xattrs } from './xattrs.ts'

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

/** A conflict name for `rel` in its own directory, stamped with this host and now. */
function conflictRel(ctx: PublishContext, rel: Bytes): Bytes {
  return joinRel(parentRel(rel), conflictName(baseName(rel), ctx.host, ctx.now()))
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
 * Decides where the local version goes: its own name, or a conflict name when gv0 changed too.
 * A non-matching entry in the way (e.g. a directory where a file now is) is removed when unchanged.
 */
async function chooseTarget(ctx: PublishContext, e: UpperEntry, wantDir: boolean, known?: Stats | null): Promise<Target> {
  const rec = ctx.state.get(e.rel)
  if (rec?.x) return { target: rec.x, conflict: true }
  const st = known !== undefined ? known : await ctx.lowerFs.lstatOrNull(e.rel)
  const id = lowerId(st)
  const ref = bornMs(e)
  const typeClash = st !== null && st.isDirectory() !== wantDir
  if (remoteChanged(ctx, e.rel, id, ref) && !(wantDir && st?.isDirectory())) {
    return { target: conflictRel(ctx, e.rel), conflict: true }
  }
  if (typeClash) {
    const kept = await removeLower(ctx, e.rel, ref, 'replaced by a different kind of entry on this host')
    if (kept.length > 0) {
      return { target: conflictRel(ctx, e.rel), conflict: true }
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
    return null
  } catch {
    return 'vanished during publish'
  }
}

function reportConflict(ctx: PublishContext, e: UpperEntry, target: Bytes): void {
  ctx.report({
    time: ctx.now().toISOString(),
    path: fromBytes(e.rel),
    kind: 'modified-both',
    localCopy: fromBytes(target),
    message: `changed here and in gv0 since this host last saw it: local version published as ${fromBytes(baseName(target))}`,
  })
}

/**
 * Renames a staged temp over the target unless upper changed meanwhile (the temp is then removed).
 * The intent is noted first, so a crash right after the rename does not look like a remote change.
 * A target that changed in gv0 since `before` (when publishing started) is not overwritten: the entry
 * is published again later, and chooseTarget then sees the remote change and makes it a conflict.
 */
async function renameIntoPlace(
  ctx: PublishContext,
  e: UpperEntry,
  tmp: Bytes,
  { target, conflict, before }: Target,
): Promise<Outcome | null> {
  const changed = await recheck(ctx, e)
  if (changed) {
    await ctx.lowerFs.unlink(tmp)
    return { result: 'changed', reason: changed }
  }
  const staged = await ctx.lowerFs.lstat(tmp)
  if (!conflict) ctx.state.noteIntent(e.rel, { i: staged.ino, s: staged.size, m: staged.mtimeMs })
  if (!conflict && before !== undefined) {
    if (!sameLower(lowerId(await ctx.lowerFs.lstatOrNull(target)), before)) {
      await ctx.lowerFs.unlink(tmp)
      return { result: 'changed', reason: 'gv0 changed during publish' }
    }
  }
  await ctx.lowerFs.rename(tmp, target)
  return null
}

/** Records a renamed-in entry; a conflict copy keeps gv0's baseline and is reported the first time. */
async function recordPublish(
  ctx: PublishContext,
  e: UpperEntry,
  rec: PublishRecord | undefined,
  target: Bytes,
  conflict: boolean,
  bytes: number,
): Promise<Outcome> {
  const after = lowerId(await ctx.lowerFs.lstat(target))
  if (conflict) {
    const base = rec?.x ? rec.L : lowerId(await ctx.lowerFs.lstatOrNull(e.rel))
    ctx.state.set(e.rel, record(e, base, { x: target }))
    if (!rec?.x) reportConflict(ctx, e, target)
    return { result: 'conflict', bytes, target }
  }
  ctx.state.set(e.rel, record(e, after))
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
async function copyInto(ctx: PublishContext, rel: Bytes, dst: FileHandle, size: number): Promise<number> {
  const from = await ctx.upperFs.open(rel, constants.O_RDONLY)
  try {
    const buf = Buffer.allocUnsafe(Math.min(COPY_CHUNK, size + 1))
    let copied = 0
    while (copied <= size) {
      const { bytesRead } = await from.read(buf, 0, Math.min(buf.length, size + 1 - copied), copied)
      if (bytesRead === 0) break
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
  const here = await ctx.lowerFs.lstatOrNull(rec?.x ?? e.rel)
  if (here?.isFile() && here.size === e.size && sameTime(here.mtimeMs, e.mtimeMs)) {
    // a publish that finished before a crash, or a copy-up that changed nothing but metadata
    const p = rec?.x ?? e.rel
    if (here.uid !== e.uid || here.gid !== e.gid) await ctx.lowerFs.lchown(p, e.uid, e.gid)
    if ((here.mode & 0o7777) !== (e.mode & 0o7777)) await ctx.lowerFs.chmod(p, e.mode & 0o7777)
    ctx.state.set(e.rel, record(e, rec?.x ? rec.L : lowerId(await ctx.lowerFs.lstat(p)), rec?.x ? { x: rec.x } : {}))
    return { result: 'already' }
  }
  // without a conflict record, `here` is gv0's entry at the file's own name: no second lookup
  const chosen = await chooseTarget(ctx, e, false, rec?.x ? undefined : here)
  const { target, conflict } = chosen
  const tmp = tempFor(ctx, target)
  if (!conflict && e.nlink > 1) {
    const linked = await publishLink(ctx, e, rec, tmp, chosen)
    if (linked) return linked
  }
  const want = e.mode & 0o7777
  let fh: FileHandle | null = await createTemp(ctx, tmp, want)
  try {
    try {
      // attributes come with the create reply: this fstat is answered from the kernel's cache
      const created = await fh.stat()
      const copied = await copyInto(ctx, e.rel, fh, e.size)
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
    const changed = await renameIntoPlace(ctx, e, tmp, chosen)
    if (changed) return changed
  } catch (err) {
    await ctx.lowerFs.unlink(tmp).catch(() => {})
    throw err
  }
  return await recordPublish(ctx, e, rec, target, conflict, e.size)
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
  await ctx.lowerFs.unlink(tmp).catch(() => {})
  await ctx.lowerFs.link(twin.rel, tmp)
  try {
    // one inode: the twin's owner and mode are e's unless they changed here since (the twin follows)
    if (twin.st.uid !== e.uid || twin.st.gid !== e.gid) await ctx.lowerFs.lchown(tmp, e.uid, e.gid)
    if ((twin.st.mode & 0o7777) !== (e.mode & 0o7777)) await ctx.lowerFs.chmod(tmp, e.mode & 0o7777)
    const changed = await renameIntoPlace(ctx, e, tmp, chosen)
    if (changed) return changed
    // rename(2) onto another name of the same inode does nothing and leaves the temp name
    if (chosen.before?.i === twin.st.ino) await ctx.lowerFs.unlink(tmp).catch(() => {})
  } catch (err) {
    await ctx.lowerFs.unlink(tmp).catch(() => {})
    throw err
  }
  const out = await recordPublish(ctx, e, rec, chosen.target, false, 0)
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
    ctx.state.set(e.rel, record(e, rec?.x ? rec.L : lowerId(here), rec?.x ? { x: rec.x } : {}))
    return { result: 'already' }
  }
  // without a conflict record, `here` is gv0's entry at the link's own name: no second lookup
  const chosen = await chooseTarget(ctx, e, false, rec?.x ? undefined : here)
  const { target, conflict } = chosen
  const tmp = tempFor(ctx, target)
  await ctx.lowerFs.unlink(tmp).catch(() => {})
  await ctx.lowerFs.symlink(linkTarget, tmp)
  try {
    await ctx.lowerFs.lchown(tmp, e.uid, e.gid)
    await ctx.lowerFs.lutimes(tmp, e.atimeMs / 1000, e.mtimeMs / 1000)
    const changed = await renameIntoPlace(ctx, e, tmp, chosen)
    if (changed) return changed
  } catch (err) {
    await ctx.lowerFs.unlink(tmp).catch(() => {})
    throw err
  }
  return await recordPublish(ctx, e, rec, target, conflict, 0)
}

/**
 * Makes sure the directory exists in gv0 with the upper dir's owner and mode, and its ACLs when `x`
 * (read for directories new to this host) carries any.
 */
export async function publishDir(ctx: PublishContext, e: UpperEntry, x: Xattrs | null = null): Promise<Outcome> {
  const path = e.rel
  let st = await ctx.lowerFs.lstatOrNull(path)
  const rec = ctx.state.get(e.rel)
  if (st && !st.isDirectory()) {
    const ref = bornMs(e)
    if (remoteChanged(ctx, e.rel, lowerId(st), ref)) {
      // keep gv0's newer non-directory under a conflict name, then create the directory
      const aside = conflictRel(ctx, e.rel)
      await ctx.lowerFs.rename(path, aside)
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
  if (!st) {
    try {
      await ctx.lowerFs.mkdir(path, e.mode & 0o7777)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    st = await ctx.lowerFs.lstat(path)
  }
  if (st.uid !== e.uid || st.gid !== e.gid) await ctx.lowerFs.lchown(path, e.uid, e.gid)
  if ((st.mode & 0o7777) !== (e.mode & 0o7777)) await ctx.lowerFs.chmod(path, e.mode & 0o7777)
  if (hasAcl(x)) {
    const dir = await ctx.lowerFs.open(path, constants.O_RDONLY | constants.O_DIRECTORY)
    try {
      await writeAcls(ctx, dir.fd, x, e.rel)
    } finally {
      await dir.close()
    }
  }
  const keep: Partial<PublishRecord> = rec?.k === 'd' && rec.i === e.ino && rec.op ? { op: 1 } : {}
  ctx.state.set(e.rel, record(e, lowerId(st), keep))
  return { result: 'published', bytes: 0, target: e.rel }
}
