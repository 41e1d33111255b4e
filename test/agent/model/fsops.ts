// The file-system side of the model test: performs one operation on one view (the union or gv0) and
// observes entries without ever following a symlink. Node builtins only: the lab test bundles this file
// and runs it on the hosts, the local test calls it in-process.
import { spawnSync } from 'node:child_process'
import {
  appendFileSync, chmodSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync,
  renameSync, rmdirSync, rmSync, symlinkSync, truncateSync, unlinkSync, utimesSync, writeFileSync, type Stats,
} from 'node:fs'
import { dirname, join } from 'node:path'

export type State =
  | { t: 'absent' }
  | { t: 'f'; data: string; mode: number; x: string }
  | { t: 'l'; target: string }
  | { t: 'd'; mode: number }
  | { t: 'other' }

/** Canonical text of a state: versions are compared by it. */
export function stateKey(s: State): string {
  switch (s.t) {
    case 'f':
      return `f:${s.mode.toString(8)}:${s.x}:${JSON.stringify(s.data)}`
    case 'l':
      return `l:${s.target}`
    case 'd':
      return `d:${s.mode.toString(8)}`
    default:
      return s.t
  }
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path)
  } catch {
    return null
  }
}

/** True when every parent of `rel` under `root` is a real directory (no symlink, no file). */
export function parentsAreDirs(root: string, rel: string): boolean {
  const parts = rel.split('/').slice(0, -1)
  let p = root
  for (const part of parts) {
    p = join(p, part)
    if (!lstatOrNull(p)?.isDirectory()) return false
  }
  return true
}

/** user.* xattrs of regular files, one getfattr run for all of them, as "k=v;k=v" sorted. */
function userXattrs(paths: string[]): Map<string, string> {
  const out = new Map<string, string>()
  for (const p of paths) out.set(p, '')
  if (paths.length === 0) return out
  const r = spawnSync('getfattr', ['-h', '-d', '-m', '^user\\.', '-e', 'hex', '--absolute-names', ...paths], { encoding: 'latin1' })
  let current: string | null = null
  const acc = new Map<string, string[]>()
  for (const line of (r.stdout ?? '').split('\n')) {
    if (line.startsWith('# file: ')) {
      current = line.slice(8)
      acc.set(current, [])
    } else if (current && line) acc.get(current)?.push(line)
  }
  for (const [p, lines] of acc) out.set(p, lines.sort().join(';'))
  return out
}

function stateOf(path: string, st: Stats | null, x: string): State {
  if (!st) return { t: 'absent' }
  if (st.isSymbolicLink()) return { t: 'l', target: readlinkSync(path) }
  if (st.isDirectory()) return { t: 'd', mode: st.mode & 0o7777 }
  if (st.isFile()) return { t: 'f', data: readFileSync(path, 'latin1'), mode: st.mode & 0o7777, x }
  if (st.isCharacterDevice() && st.rdev === 0) return { t: 'absent' } // a whiteout (only when walking upper)
  return { t: 'other' }
}

/** States of `rels` under `root`; an entry behind a symlinked or missing parent is absent. */
export function observe(root: string, rels: string[]): Record<string, State> {
  const stats = new Map<string, Stats | null>()
  for (const rel of rels) stats.set(rel, parentsAreDirs(root, rel) ? lstatOrNull(join(root, rel)) : null)
  const files = rels.filter((r) => stats.get(r)?.isFile()).map((r) => join(root, r))
  const xs = userXattrs(files)
  const out: Record<string, State> = {}
  for (const rel of rels) {
    const path = join(root, rel)
    try {
      out[rel] = stateOf(path, stats.get(rel) ?? null, xs.get(path) ?? '')
    } catch {
      out[rel] = { t: 'absent' } // vanished between lstat and read
    }
  }
  return out
}

/** Inode numbers of `rels` that are regular files with more than one name (hard-link siblings). */
export function linkedInodes(root: string, rels: string[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const rel of rels) {
    if (!parentsAreDirs(root, rel)) continue
    const st = lstatOrNull(join(root, rel))
    if (st?.isFile() && st.nlink > 1) out[rel] = st.ino
  }
  return out
}

/** Every entry under `root` (never following symlinks), keyed by relative path. */
export function walk(root: string): Record<string, State> {
  const rels: string[] = []
  const go = (rel: string) => {
    let names: string[]
    try {
      names = readdirSync(rel ? join(root, rel) : root)
    } catch {
      return
    }
    for (const n of names.sort()) {
      const r = rel ? `${rel}/${n}` : n
      rels.push(r)
      if (lstatOrNull(join(root, r))?.isDirectory()) go(r)
    }
  }
  go('')
  return observe(root, rels)
}

export type FsOp =
  | { k: 'create' | 'append' | 'truncate' | 'delete' | 'mkdir' | 'rmdir' | 'rmtree' | 'chmod' | 'setfattr'; p: string; n: number; v?: number }
  /** touch -d '+1 day' (creates the file if absent) */
  | { k: 'future'; p: string; n: number }
  /** new bytes of the same length, then the old times back (cp -p, tar, an editor that restores times) */
  | { k: 'samesize'; p: string; n: number }
  /**
   * a process that writes, opens the file again within the settle time (after the agent's look at
   * /proc, like `echo a > f; exec 3>>f`), holds it past the settle time and a scan, writes more, closes
   */
  | { k: 'writer'; p: string; n: number }
  /** rm -r dir; mkdir dir; a file inside (the union makes the new directory opaque) */
  | { k: 'opaque'; p: string; n: number }
  /** mkfifo: reported by the agent, never published, must not block it */
  | { k: 'fifo'; p: string; n: number }
  /** a user file whose name looks like a temporary or a conflict copy (p is one of ODD_NAMES) */
  | { k: 'oddname'; p: string; n: number }
  | { k: 'symlink'; p: string; n: number; target: string }
  | { k: 'rename' | 'link'; p: string; q: string; n: number }
  | { k: 'rcreate' | 'rmodify' | 'rdelete' | 'rmkdir'; p: string; n: number; inPlace?: boolean }
  /** the other host plants a hostile entry at p: see `plantHostile` */
  | { k: 'hostile'; p: string; n: number; outside: string; v?: number }
  /** the other host appends to a conflict copy of `p` (the first, if there is one) */
  | { k: 'rconflict'; p: string; n: number }

const FILE_MODES = [0o644, 0o600, 0o640, 0o755]

/** How long a `writer` holds its file: past the settle time and the scan interval of the local world. */
export const WRITER_HOLD_MS = 1200

export const WRITER = `const fs = require('node:fs'); const [p, a, b, ms] = process.argv.slice(1)
const pause = (n) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, n)
fs.appendFileSync(p, a); pause(30)
const fd = fs.openSync(p, 'a'); pause(Number(ms))
fs.writeSync(fd, b); fs.closeSync(fd)`

/** Same length, other bytes: newlines stay where they are. */
function sameLength(data: string, n: number): string {
  const fill = `S${n}`
  let i = 0
  return data.replace(/[^\n]/g, () => fill[i++ % fill.length])
}
const DIR_MODES = [0o755, 0o750, 0o700, 0o775]

/**
 * Performs one operation the way a user (local, through the union) or the other host (remote, in gv0)
 * would; answers whether it happened. Nothing is done through a symlinked parent. The other host
 * stages a replacement beside its target, as editors and rsync do.
 */
export function perform(root: string, op: FsOp): boolean {
  const path = join(root, op.p)
  if (!parentsAreDirs(root, op.p)) return false
  const st = lstatOrNull(path)
  const token = (side: string) => `${side}${op.n}\n`
  try {
    switch (op.k) {
      case 'create':
        // a FIFO there would block the open until a reader came
        if (st && !st.isFile()) return false
        writeFileSync(path, token('L'))
        return true
      case 'append':
        if (!st?.isFile()) return false
        appendFileSync(path, token('L'))
        return true
      case 'truncate': {
        if (!st?.isFile() || st.size === 0) return false
        const data = readFileSync(path, 'latin1')
        const nl = data.indexOf('\n')
        truncateSync(path, nl >= 0 && nl + 1 < data.length ? nl + 1 : 0)
        return true
      }
      case 'delete':
        if (!st || st.isDirectory()) return false
        unlinkSync(path)
        return true
      case 'mkdir':
        if (st) return false
        mkdirSync(path)
        return true
      case 'rmdir':
        if (!st?.isDirectory()) return false
        rmdirSync(path)
        return true
      case 'rmtree':
        if (!st?.isDirectory()) return false
        rmSync(path, { recursive: true, force: true })
        return true
      case 'chmod':
        if (!st || st.isSymbolicLink() || !(st.isFile() || st.isDirectory())) return false
        chmodSync(path, (st.isDirectory() ? DIR_MODES : FILE_MODES)[(op.v ?? 0) % 4])
        return true
      case 'setfattr': {
        if (!st?.isFile()) return false
        const r = spawnSync('setfattr', ['-h', '-n', `user.k${(op.v ?? 0) % 2}`, '-v', `v${op.n}`, path])
        return r.status === 0
      }
      case 'symlink':
        if (st) return false
        symlinkSync(op.target, path)
        return true
      case 'future': {
        if (st && !st.isFile()) return false
        if (!st) writeFileSync(path, token('L'))
        const t = Date.now() / 1000 + 86400
        utimesSync(path, t, t)
        return true
      }
      case 'samesize': {
        if (!st?.isFile() || st.size === 0) return false
        const data = readFileSync(path, 'latin1')
        const next = sameLength(data, op.n)
        if (next === data) return false
        // to the nanosecond, as cp -p does (utimensat): Node's utimes rounds to microseconds
        const ns = lstatSync(path, { bigint: true }).mtimeNs
        writeFileSync(path, next, 'latin1')
        const stamp = `@${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`
        return spawnSync('touch', ['-m', '-h', '-d', stamp, path]).status === 0
      }
      case 'writer': {
        // an existing file only: what its open finds must be what was just observed there
        if (!st?.isFile()) return false
        const r = spawnSync(process.execPath, ['-e', WRITER, path, `W${op.n}a\n`, `W${op.n}b\n`, String(WRITER_HOLD_MS)])
        return r.status === 0
      }
      case 'opaque':
        if (!st?.isDirectory()) return false
        rmSync(path, { recursive: true, force: true })
        mkdirSync(path)
        writeFileSync(join(path, 'y'), token('L'))
        return true
      case 'fifo':
        if (st) return false
        return spawnSync('mkfifo', [path]).status === 0
      case 'oddname':
        if (st && !st.isFile()) return false
        writeFileSync(path, token('L'))
        return true
      case 'rename':
      case 'link': {
        if (!parentsAreDirs(root, op.q) || op.p === op.q) return false
        const to = lstatOrNull(join(root, op.q))
        if (!st || st.isDirectory() || to?.isDirectory()) return false
        if (op.k === 'link') {
          if (to || !st.isFile()) return false
          linkSync(path, join(root, op.q))
        } else renameSync(path, join(root, op.q))
        return true
      }
      case 'rcreate':
      case 'rmodify': {
        if (st && !st.isFile()) return false
        if (op.k === 'rmodify' && !st) return false
        if (op.k === 'rmodify' && op.inPlace) {
          appendFileSync(path, token('R'))
          return true
        }
        const base = op.k === 'rmodify' ? readFileSync(path, 'latin1') : ''
        const staged = join(dirname(path), `.plexus-stage.${op.n}`)
        writeFileSync(staged, base + token('R'))
        renameSync(staged, path)
        return true
      }
      case 'rdelete':
        if (!st) return false
        if (st.isDirectory()) rmSync(path, { recursive: true, force: true })
        else unlinkSync(path)
        return true
      case 'rmkdir':
        if (st) return false
        mkdirSync(path)
        return true
      case 'hostile':
        return plantHostile(path, st, op.outside, op.v ?? 0)
    }
  } catch {
    return false // e.g. ENOTEMPTY, or a stale union entry the kernel refuses
  }
  return false
}

/**
 * What the other host may plant where the agent works: 0 a directory made a symlink to one outside the
 * volume, 1 a symlink to an outside file, 2 a FIFO, 3 a hard link of an outside file, 4 a device node
 * (/dev/null's numbers), 5 a directory made a symlink up inside the volume.
 */
function plantHostile(path: string, st: Stats | null, outside: string, v: number): boolean {
  if (st) rmSync(path, { recursive: true, force: true })
  switch (v) {
    case 1:
      symlinkSync(join(outside, 'x.txt'), path)
      return true
    case 2:
      return spawnSync('mkfifo', [path]).status === 0
    case 3:
      linkSync(join(outside, 'x.txt'), path) // EXDEV where gv0 is another file system: not done
      return true
    case 4:
      return spawnSync('mknod', [path, 'c', '1', '3']).status === 0
    case 5:
      symlinkSync('..', path)
      return true
    default:
      symlinkSync(outside, path)
      return true
  }
}

const RECURSIVE = new Set(['rmtree', 'rdelete', 'hostile', 'opaque'])

/**
 * The names an operation can change: its own, everything below it for a recursive delete, and the other
 * names of its inode. Only these are compared: the union's view of other names may change by itself
 * (a stale dentry dropped), and that is nobody's operation.
 */
export function affected(root: string, op: FsOp, namespace: string[]): string[] {
  const names = new Set([op.p, ...(RECURSIVE.has(op.k) ? namespace.filter((q) => q.startsWith(op.p + '/')) : [])])
  if ('q' in op) names.add(op.q)
  const inodes = linkedInodes(root, namespace)
  for (const p of [...names]) {
    const ino = inodes[p]
    if (ino !== undefined) for (const [q, i] of Object.entries(inodes)) if (i === ino) names.add(q)
  }
  return [...names]
}

export interface Step {
  before: Record<string, State>
  after: Record<string, State>
  done: boolean
}

const CONFLICT_TAG = /\.conflict-[A-Za-z0-9._-]+?-\d{8}T\d{6}Z/

/** The first conflict copy of `rel` in its directory, as a path relative to `root`. */
function conflictCopyOf(root: string, rel: string): string | null {
  const dir = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : ''
  if (!parentsAreDirs(root, rel)) return null
  let names: string[]
  try {
    names = readdirSync(join(root, dir)).sort()
  } catch {
    return null
  }
  const base = rel.slice(rel.lastIndexOf('/') + 1)
  // the user's files named like conflict copies (generate.ts, ODD_NAMES) carry a stamp from 2020: not the agent's
  const hit = names.find((n) => CONFLICT_TAG.test(n) && !n.includes('-2020') && n.replace(CONFLICT_TAG, '') === base)
  return hit === undefined ? null : dir ? `${dir}/${hit}` : hit
}

/** One side's operation with what that side saw at the affected names just before and right after. */
export function step(root: string, op: FsOp, namespace: string[]): Step {
  if (op.k === 'rconflict') {
    // a conflict copy holds a version of its name: what it held and holds is reported for the name
    const copy = conflictCopyOf(root, op.p)
    if (copy === null || !lstatOrNull(join(root, copy))?.isFile()) return { before: {}, after: {}, done: false }
    const before = observe(root, [copy])[copy]
    appendFileSync(join(root, copy), `R${op.n}\n`)
    return { before: { [op.p]: before }, after: { [op.p]: observe(root, [copy])[copy] }, done: true }
  }
  const names = affected(root, op, namespace)
  const before = observe(root, names)
  let done = perform(root, op)
  const after = observe(root, names)
  // a recursive delete that failed half way still removed what it removed
  if (!done && RECURSIVE.has(op.k)) done = names.some((n) => stateKey(before[n]) !== stateKey(after[n]))
  return { before, after, done }
}

/** The request the lab sends to a host on stdin: `node fsops.mjs` prints the JSON answer. */
export type Request =
  | { do: 'observe'; root: string; rels: string[] }
  | { do: 'walk'; root: string }
  | { do: 'step'; root: string; op: FsOp; namespace: string[] }
  | { do: 'temps'; root: string; prefix: string }

export function serve(req: Request): unknown {
  switch (req.do) {
    case 'observe':
      return observe(req.root, req.rels)
    case 'walk':
      return walk(req.root)
    case 'step':
      return step(req.root, req.op, req.namespace)
    case 'temps':
      return Object.keys(walk(req.root)).filter((rel) => rel.slice(rel.lastIndexOf('/') + 1).startsWith(req.prefix)).length
  }
}
