// What the agent needs to know about gluster's on-brick layout when the brick is the union's lower layer:
// the names gluster keeps at the brick root, and how a copied-up file's trusted.* xattrs name the gv0
// version it came from (gluster's FUSE inode number is the gfid's last 8 bytes, xlators/storage/posix).

/** Names gluster keeps at the brick root and never shows through its clients: hidden from the union. */
export function isGlusterInternalRootName(name: string): boolean {
  return name === '.glusterfs' || /^\.glusterfs-anonymous-inode-[0-9a-f-]{36}$/.test(name)
}

/** The inode number gluster's FUSE mount reports for a gfid (posix_fill_ino_from_gfid), as Node's lstat shows it. */
export function gfidIno(gfid: Buffer | undefined): number | null {
  if (!gfid || gfid.length !== 16) return null
  return Number(gfid.readBigUInt64BE(8))
}

/**
 * ctime and mtime (ms) from trusted.glusterfs.mdata, the times gluster's clients see (features.ctime):
 * version byte, 8-byte flags, then ctime, mtime, atime as 8-byte seconds and 8-byte nanoseconds, big-endian.
 */
export function mdataTimes(mdata: Buffer | undefined): { ctimeMs: number; mtimeMs: number } | null {
  if (!mdata || mdata.length < 57 || mdata[0] !== 1) return null
  const at = (off: number) => Number(mdata.readBigInt64BE(off)) * 1000 + Number(mdata.readBigInt64BE(off + 8)) / 1e6
  return { ctimeMs: at(9), mtimeMs: at(25) }
}
