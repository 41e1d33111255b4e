// Whether gv0 already holds an upper file's bytes. Size and mtime say nothing about that: cp -p, tar,
// touch -r and editors that restore times rewrite a file and keep both. A publish records a digest of
// what it copied (the copy reads every byte anyway); a later look hashes the upper file, a local read,
// and compares, so a change of metadata alone never uploads the file again. Without a digest (a
// copy-up, a crash right after a rename, a record from an older version) the bytes are compared
// with gv0's.
import { constants } from 'node:fs'
import { createHash, type Hash } from 'node:crypto'
import type { FileHandle } from 'node:fs/promises'
import type { Bytes } from '../fs/paths.ts'
import type { PublishContext } from './publish-context.ts'
import type { UpperEntry } from '../watch/scan.ts'
import { openScannedFile } from './upper-source.ts'

const CHUNK = 1 << 20

export function contentHash(): Hash {
  return createHash('sha256')
}

/** The form kept in a record: 128 bits of SHA-256 are plenty to tell versions of one file apart. */
export function digestOf(h: Hash): string {
  return h.digest('base64url').slice(0, 22)
}

/** Reads up to `want` bytes at `pos` (fewer only at end of file). */
async function readFull(fh: FileHandle, buf: Buffer, want: number, pos: number): Promise<number> {
  let got = 0
  while (got < want) {
    const { bytesRead } = await fh.read(buf, got, want - got, pos + got)
    if (bytesRead === 0) break
    got += bytesRead
  }
  return got
}

/** Digest of the scanned upper file, or null when it no longer has the scanned size. */
export async function upperDigest(ctx: PublishContext, e: UpperEntry): Promise<string | null> {
  const fh = await openScannedFile(ctx.upperFs, e.rel, e.ino)
  try {
    const h = contentHash()
    const buf = Buffer.allocUnsafe(Math.min(CHUNK, e.size + 1))
    for (let pos = 0; ; ) {
      const n = await readFull(fh, buf, Math.min(buf.length, e.size + 1 - pos), pos)
      if (n === 0) return pos === e.size ? digestOf(h) : null
      h.update(buf.subarray(0, n))
      pos += n
      if (pos > e.size) return null
    }
  } finally {
    await fh.close()
  }
}

/**
 * Compares the scanned upper file with gv0's file at `lowerRel` byte by byte; the upper file's digest
 * when they are equal, else null. Stops at the first difference.
 */
export async function sameBytesAsGv0(ctx: PublishContext, e: UpperEntry, lowerRel: Bytes): Promise<string | null> {
  const up = await openScannedFile(ctx.upperFs, e.rel, e.ino)
  let low: FileHandle | null = null
  try {
    low = await ctx.lowerFs.open(lowerRel, constants.O_RDONLY | constants.O_NONBLOCK)
    if (!(await low.stat()).isFile()) return null
    const h = contentHash()
    const len = Math.min(CHUNK, e.size + 1)
    const a = Buffer.allocUnsafe(len)
    const b = Buffer.allocUnsafe(len)
    for (let pos = 0; ; ) {
      const want = Math.min(len, e.size + 1 - pos)
      const [na, nb] = await Promise.all([readFull(up, a, want, pos), readFull(low, b, want, pos)])
      if (na !== nb || !a.subarray(0, na).equals(b.subarray(0, nb))) return null
      if (na === 0) return pos === e.size ? digestOf(h) : null
      h.update(a.subarray(0, na))
      pos += na
      if (pos > e.size) return null
    }
  } finally {
    await up.close()
    await low?.close()
  }
}
