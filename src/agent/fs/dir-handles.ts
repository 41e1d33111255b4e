// Walking a tree by directory descriptors (Node has no openat()): each directory is opened O_PATH|O_DIRECTORY|
// O_NOFOLLOW relative to its parent's descriptor, and a name inside it is /proc/self/fd/N/name. The scan and the
// offline steps use these synchronously; SafeTree (safe-fs.ts) builds its cached, asynchronous walk on them.
import { closeSync, constants, lstatSync, openSync, type Stats } from 'node:fs'
import { fromBytes, fsPath, type Bytes } from './paths.ts'

/** Linux's O_PATH (fs.constants lacks it): a handle for walking that opens nothing on the file system itself. */
export const O_PATH = 0o10000000
export const DIR_FLAGS = O_PATH | constants.O_DIRECTORY | constants.O_NOFOLLOW

/** /proc/self/fd/N, or the name `name` inside the directory N refers to, as a byte-exact path. */
export function procPath(fd: number, name?: Bytes): Buffer {
  return Buffer.from(name === undefined || name === '' ? `/proc/self/fd/${fd}` : `/proc/self/fd/${fd}/${name}`, 'latin1')
}

/** The error of a path whose component is a symlink: reported per entry, never followed. */
export function symlinkInPath(label: string, rel: Bytes): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${label} path ${fromBytes(rel)} is a symbolic link: not followed`)
  err.code = 'ELOOP'
  return err
}

const code = (err: unknown) => (err as NodeJS.ErrnoException).code

/** Opens directory `name` below an open directory; a symlink there is ELOOP (O_PATH makes it ENOTDIR). */
export function openDirSync(parentFd: number, name: Bytes, label: string, rel: Bytes): number {
  try {
    return openSync(procPath(parentFd, name), DIR_FLAGS)
  } catch (err) {
    if (code(err) === 'ENOTDIR' && isLink(() => lstatSync(procPath(parentFd, name)))) throw symlinkInPath(label, rel)
    throw err
  }
}

/** Opens directory `rel` below `root`, one component at a time, without following any symlink in it. */
export function openTreeDirSync(root: Bytes, rel: Bytes, label: string): number {
  let fd = openSync(fsPath(root), O_PATH | constants.O_DIRECTORY)
  if (rel === '') return fd
  let walked = ''
  try {
    for (const name of rel.split('/')) {
      walked = walked === '' ? name : walked + '/' + name
      const next = openDirSync(fd, name, label, walked)
      closeSync(fd)
      fd = next
    }
    return fd
  } catch (err) {
    closeSync(fd)
    throw err
  }
}

/**
 * Runs the synchronous `fn` with the working directory at directory `fd`, so `at(name)` is the bare
 * name: an lstat then costs a third less than through /proc/self/fd/N/name, which matters for scans
 * of 100k entries. Nothing else runs while fn does, and the agent uses absolute paths everywhere
 * else. Where chdir is not possible (worker threads) names go through /proc/self/fd/N/name.
 */
export function withCwdAt<T>(fd: number, fn: (at: (name: Bytes) => Buffer | string) => T): T {
  let home: number
  try {
    home = openSync('.', O_PATH | constants.O_DIRECTORY)
    try {
      process.chdir(`/proc/self/fd/${fd}`)
    } catch (err) {
      closeSync(home)
      throw err
    }
  } catch {
    return fn((name) => procPath(fd, name))
  }
  try {
    return fn((name) => Buffer.from(name, 'latin1'))
  } finally {
    process.chdir(`/proc/self/fd/${home}`)
    closeSync(home)
  }
}

function isLink(stat: () => Stats): boolean {
  try {
    return stat().isSymbolicLink()
  } catch {
    return false
  }
}
