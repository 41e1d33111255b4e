// Who has files of the cache open, read from /proc: writers make an entry non-quiescent,
// and any holder of the union blocks an evict cycle.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { mappedPath, mappingsOf, writesToFile } from './mappings.ts'
import { toBytes, type Bytes } from '../fs/paths.ts'

export interface Holder {
  pid: number
  command: string
  /** what holds it: fd N, cwd, root, exe, or a memory mapping */
  via: string
  path: string
}

function pids(): number[] {
  const out: number[] = []
  for (const name of readdirSync('/proc')) if (/^\d+$/.test(name)) out.push(Number(name))
  return out
}

/** A process's open descriptor numbers; none when it went away or is not readable. */
function fdsOf(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/fd`)
  } catch {
    return []
  }
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim()
  } catch {
    return '?'
  }
}

/** Byte-string link target of a /proc symlink, or null when the process went away. */
function link(path: string): Bytes | null {
  try {
    return readlinkSync(path, { encoding: 'latin1' }) as Bytes
  } catch {
    return null
  }
}

function relUnder(target: Bytes, roots: Bytes[]): Bytes | null {
  const t = target.endsWith(' (deleted)') ? target.slice(0, -10) : target
  for (const root of roots) {
    if (t === root) return ''
    if (t.startsWith(root + '/')) return t.slice(root.length + 1)
  }
  return null
}

export interface Writers {
  /** relative paths (under union or upper) being written */
  paths: Set<Bytes>
  byPath: Map<Bytes, number[]>
  /** the subset written through a shared writable mapping (possibly with no descriptor open) */
  mapped: Set<Bytes>
}

/**
 * Relative paths (under union or upper) currently open for writing, or mapped shared and writable,
 * by any process. The kernel names a mapping made through the union by its union path (6.x with
 * backing files; measured on 6.18), older kernels by the upper path: both roots are matched.
 */
export function openWriters(roots: string[]): Writers {
  const rootBytes = roots.map(toBytes)
  const w: Writers = { paths: new Set(), byPath: new Map(), mapped: new Set() }
  const add = (rel: Bytes, pid: number) => {
    w.paths.add(rel)
    const list = w.byPath.get(rel) ?? []
    if (!list.includes(pid)) list.push(pid)
    w.byPath.set(rel, list)
  }
  for (const pid of pids()) {
    if (pid === process.pid) continue
    for (const fd of fdsOf(pid)) {
      const target = link(`/proc/${pid}/fd/${fd}`)
      if (target === null || target.charCodeAt(0) !== 47) continue
      const rel = relUnder(target, rootBytes)
      if (rel === null) continue
      let flags = 0
      try {
        const info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'latin1')
        flags = parseInt(/flags:\s*([0-7]+)/.exec(info)?.[1] ?? '0', 8)
      } catch {
        continue
      }
      if ((flags & 3) === 0) continue // O_RDONLY
      add(rel, pid)
    }
    for (const m of mappingsOf(pid)) {
      if (!writesToFile(m)) continue
      const rel = relUnder(mappedPath(pid, m), rootBytes)
      if (rel === null) continue
      add(rel, pid)
      w.mapped.add(rel)
    }
  }
  return w
}

/**
 * Each hold a process has on the union (cwd, root, exe, descriptors, mappings): `each` gets the pid, what holds
 * it, the path (bytes) and its name relative to the union. `all`: every mapping, not only a process's first, and
 * this process's own holds too.
 */
function unionHolds(union: string, all: boolean, each: (pid: number, via: string, target: Bytes, rel: Bytes) => void): void {
  const roots = [toBytes(union)]
  const at = (pid: number, via: string, t: Bytes | null) => {
    const rel = t === null ? null : relUnder(t, roots)
    if (rel !== null) each(pid, via, t as Bytes, rel)
    return rel !== null
  }
  for (const pid of pids()) {
    if (pid === process.pid && !all) continue
    for (const via of ['cwd', 'root', 'exe']) at(pid, via, link(`/proc/${pid}/${via}`))
    for (const fd of fdsOf(pid)) at(pid, `fd ${fd}`, link(`/proc/${pid}/fd/${fd}`))
    for (const m of mappingsOf(pid)) if (at(pid, 'mmap', m.path) && !all) break
  }
}

/** Every process that keeps the union busy (open files, cwd, root, mappings), for evict reports. */
export function unionHolders(union: string): Holder[] {
  const out: Holder[] = []
  const commands = new Map<number, string>()
  unionHolds(union, false, (pid, via, target) => {
    if (!commands.has(pid)) commands.set(pid, commandOf(pid))
    out.push({ pid, command: commands.get(pid)!, via, path: Buffer.from(target, 'latin1').toString() })
  })
  return out
}

/** The union's names (relative; not its root) that some process holds right now: their dentries are in use. */
export function heldNames(union: string): Set<Bytes> {
  const out = new Set<Bytes>()
  unionHolds(union, true, (_pid, _via, _target, rel) => {
    if (rel !== '') out.add(rel)
  })
  return out
}
