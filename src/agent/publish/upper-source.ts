// Opening an upper file to copy it: what is opened must be the regular file the scan saw. A name
// swapped for a FIFO between scan and open would block a plain open (and the whole pass) forever;
// a device or socket must never be read as a file's content.
import { constants } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'
import type { Bytes } from '../fs/paths.ts'
import type { SafeTree } from '../fs/safe-fs.ts'

/** Thrown when the name no longer holds the scanned regular file; the entry is retried after a rescan. */
export class NotScannedFileError extends Error {
  override name = 'NotScannedFileError'
  readonly code = 'ESTALEENTRY'
}

function kindName(mode: number): string {
  switch (mode & constants.S_IFMT) {
    case constants.S_IFIFO:
      return 'a FIFO'
    case constants.S_IFSOCK:
      return 'a socket'
    case constants.S_IFCHR:
    case constants.S_IFBLK:
      return 'a device node'
    case constants.S_IFDIR:
      return 'a directory'
    case constants.S_IFREG:
      return 'another file'
    default:
      return 'something else'
  }
}

/** Opens `rel` without blocking and without following a symlink, and checks it is still inode `ino`, a regular file. */
export async function openScannedFile(tree: SafeTree, rel: Bytes, ino: number): Promise<FileHandle> {
  const fh = await tree.open(rel, constants.O_RDONLY | constants.O_NONBLOCK)
  try {
    const st = await fh.stat()
    if (!st.isFile() || st.ino !== ino) throw new NotScannedFileError(`no longer the scanned file: now ${kindName(st.mode)}`)
    return fh
  } catch (err) {
    await fh.close()
    throw err
  }
}
