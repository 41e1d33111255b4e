// A process's file mappings, from /proc/PID/maps. A writer can mmap a file MAP_SHARED, close the
// descriptor and go on writing through the mapping: no fd shows it, so quiescence looks here too.
import { readFileSync, readlinkSync } from 'node:fs'
import type { Bytes } from '../fs/paths.ts'

export interface Mapping {
  /** address range, also the entry's name in /proc/PID/map_files */
  range: string
  /** r/w/x and p (private) or s (shared) */
  perms: string
  /** the mapped file's path as maps shows it (newlines escaped as \012 there) */
  path: Bytes
}

/** Parses /proc/PID/maps text (latin1), keeping file mappings only. */
export function parseMaps(text: string): Mapping[] {
  const out: Mapping[] = []
  for (const line of text.split('\n')) {
    // start-end perms offset dev inode, then padding and the path
    const m = /^(\S+) (\S{4}) \S+ \S+ \d+ +(\/.*)$/.exec(line)
    if (m) out.push({ range: m[1], perms: m[2], path: m[3] })
  }
  return out
}

/** File mappings of a process; none when it went away. */
export function mappingsOf(pid: number): Mapping[] {
  try {
    return parseMaps(readFileSync(`/proc/${pid}/maps`, 'latin1'))
  } catch {
    return []
  }
}

/** True for a shared, writable mapping: writes through it change the file. */
export function writesToFile(m: Mapping): boolean {
  return m.perms[1] === 'w' && m.perms[3] === 's'
}

/** The mapped file's exact path through map_files (root only); maps' escaped text when unreadable. */
export function mappedPath(pid: number, m: Mapping): Bytes {
  try {
    return readlinkSync(`/proc/${pid}/map_files/${m.range}`, { encoding: 'latin1' }) as Bytes
  } catch {
    return m.path
  }
}
