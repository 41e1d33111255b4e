// Extended attributes through getfattr/setfattr (the attr package): Node has no xattr API and
// the agent takes no native dependencies. Files are handed over as inherited descriptors
// (/proc/self/fd/N), so no name is ever encoded into an argument or a shell.
import { closeSync, constants } from 'node:fs'
import type { Bytes } from './paths.ts'
import { run } from './run.ts'
import type { SafeTree } from './safe-fs.ts'

export type Xattrs = Map<string, Buffer>

const BATCH = 200
const O_NONBLOCK = constants.O_NONBLOCK

// LC_ALL=C: messages are matched (EOPNOTSUPP below), so they must not be translated
const attr = (cmd: string, args: string[], fds: number[], input?: string) => run(cmd, args, { fds, input, stdout: true, cLocale: true })

/** Parses `getfattr -d -e hex` output keyed by the /proc/self/fd number it names. */
export function parseGetfattr(text: string): Map<number, Xattrs> {
  const out = new Map<number, Xattrs>()
  let current: Xattrs | null = null
  for (const line of text.split('\n')) {
    const file = /^# file: \/?proc\/self\/fd\/(\d+)$/.exec(line)
    if (file) {
      current = new Map()
      out.set(Number(file[1]), current)
      continue
    }
    if (!current || line === '') continue
    const eq = line.indexOf('=')
    const name = eq < 0 ? line : line.slice(0, eq)
    const value = eq < 0 ? '' : line.slice(eq + 1)
    current.set(name, value.startsWith('0x') ? Buffer.from(value.slice(2), 'hex') : Buffer.from(value.replace(/^"|"$/g, ''), 'latin1'))
  }
  return out
}

/** Reads all xattrs of already open files (descriptors), batched into few getfattr runs. */
export async function readXattrsOfFds(fds: number[]): Promise<Xattrs[]> {
  const result: Xattrs[] = fds.map(() => new Map())
  for (let start = 0; start < fds.length; start += BATCH) {
    const batch = fds.slice(start, start + BATCH)
    const args = ['-d', '-m', '-', '-e', 'hex', '--absolute-names', ...batch.map((_, i) => `/proc/self/fd/${i + 3}`)]
    const r = await attr('getfattr', args, batch)
    // latin1: every byte of names and values survives to the hex decoding
    const out = r.stdout.toString('latin1')
    if (r.code !== 0 && out === '') throw new Error(`getfattr failed: ${r.stderr.trim()}`)
    const parsed = parseGetfattr(out)
    batch.forEach((_, i) => {
      const x = parsed.get(i + 3)
      if (x) result[start + i] = x
    })
  }
  return result
}

/** Reads xattrs of entries of a tree (files and directories, never following a symlink in their paths). */
export async function readXattrs(tree: SafeTree, rels: Bytes[]): Promise<(Xattrs | null)[]> {
  const out: (Xattrs | null)[] = rels.map(() => null)
  for (let start = 0; start < rels.length; start += BATCH) {
    const fds: number[] = []
    const idx: number[] = []
    try {
      for (let i = start; i < Math.min(rels.length, start + BATCH); i++) {
        try {
          fds.push(await tree.openFd(rels[i], constants.O_RDONLY | O_NONBLOCK))
          idx.push(i)
        } catch {
          // vanished or not openable: treated as "no xattrs known"
        }
      }
      const got = await readXattrsOfFds(fds)
      idx.forEach((i, j) => (out[i] = got[j]))
    } finally {
      for (const fd of fds) closeSync(fd)
    }
  }
  return out
}

/**
 * Sets the xattrs of `attrs` that `wanted` picks onto an open file or directory. A file system that
 * does not take them fails with an error whose code is EOPNOTSUPP.
 */
export async function setXattrs(fd: number, attrs: Xattrs, wanted: (name: string) => boolean): Promise<void> {
  const lines: string[] = []
  for (const [name, value] of attrs) {
    if (!wanted(name)) continue
    lines.push(`${name}=0x${value.toString('hex')}`)
  }
  if (lines.length === 0) return
  const dump = `# file: /proc/self/fd/3\n${lines.join('\n')}\n\n`
  const r = await attr('setfattr', ['--restore=-'], [fd], dump)
  if (r.code === 0) return
  const err: NodeJS.ErrnoException = new Error(`setfattr failed: ${r.stderr.trim()}`)
  if (/Operation not supported/.test(r.stderr)) err.code = 'EOPNOTSUPP'
  throw err
}

/** Copies user.* xattrs onto an open file; trusted.overlay.* and others never leave the cache. */
export async function writeUserXattrs(fd: number, attrs: Xattrs): Promise<void> {
  await setXattrs(fd, attrs, (name) => name.startsWith('user.'))
}

/** Removes one xattr from an entry of a tree (used offline to clear trusted.overlay.opaque). */
export async function removeXattr(tree: SafeTree, rel: Bytes, name: string): Promise<void> {
  const fd = await tree.openFd(rel, constants.O_RDONLY | O_NONBLOCK)
  try {
    const r = await attr('setfattr', ['-x', name, '/proc/self/fd/3'], [fd])
    if (r.code !== 0 && !/No such attribute/.test(r.stderr)) throw new Error(`setfattr -x ${name} failed: ${r.stderr.trim()}`)
  } finally {
    closeSync(fd)
  }
}

/** True when xattrs mark a directory opaque (it replaced a lower directory). */
export function isOpaque(x: Xattrs | null | undefined): boolean {
  return x?.get('trusted.overlay.opaque')?.toString('latin1') === 'y'
}

/** True when a zero-size file is a whiteout of the xattr flavour. */
export function isXattrWhiteout(x: Xattrs | null | undefined): boolean {
  return x?.has('trusted.overlay.whiteout') ?? false
}

/** Removes xattrs from an open file or directory; an already missing one is not an error. */
export async function removeXattrsOfFd(fd: number, names: string[]): Promise<void> {
  for (const name of names) {
    const r = await attr('setfattr', ['-x', name, '/proc/self/fd/3'], [fd])
    if (r.code === 0 || /No such attribute/.test(r.stderr)) continue
    const err: NodeJS.ErrnoException = new Error(`setfattr -x ${name} failed: ${r.stderr.trim()}`)
    if (/Operation not supported/.test(r.stderr)) err.code = 'EOPNOTSUPP'
    throw err
  }
}
