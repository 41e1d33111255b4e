// Mounts, from `findmnt --json`.
import { sh } from '../engine/command.ts'
import { shell, type ShellText } from '../engine/quote.ts'
import type { Result } from '../engine/result.ts'
import { fact } from '../engine/task.ts'
import { commandFailed } from './answer.ts'
import { endMarker } from './files.ts'

export interface Mount {
  target: string
  source: string
  fstype: string
  options: string[]
}

interface FindmntNode {
  target: string
  source: string
  fstype: string
  options: string
  children?: FindmntNode[]
}

/** Parse `findmnt --json -o TARGET,SOURCE,FSTYPE,OPTIONS` (tree or list) into a flat list. */
export function parseFindmnt(result: Result): Mount[] {
  // findmnt's answer for "nothing mounted there": exit 1 and not a word
  if (result.exitCode === 1 && !result.stdout.trim() && !result.stderr.trim()) return []
  if (result.exitCode !== 0) throw commandFailed(result)
  if (!result.stdout.trim()) return []
  const flat: Mount[] = []
  const walk = (nodes: FindmntNode[]) => {
    for (const n of nodes) {
      flat.push({ target: n.target, source: n.source, fstype: n.fstype, options: n.options.split(',') })
      if (n.children) walk(n.children)
    }
  }
  walk((JSON.parse(result.stdout) as { filesystems: FindmntNode[] }).filesystems)
  return flat
}

/** What is mounted exactly at a path (undefined: nothing). */
export const mountAt = (path: string) =>
  fact(`mount ${path}`, sh`findmnt --json -o TARGET,SOURCE,FSTYPE,OPTIONS --mountpoint ${path}`, (r) => parseFindmnt(r).at(-1))

/** The mount a path lives on (the nearest mount point above it). */
export const mountOf = (path: string) =>
  fact(
    `file system of ${path}`,
    sh`p=${path}; while [ ! -e "$p" ]; do p=$(dirname "$p"); done; findmnt --json -o TARGET,SOURCE,FSTYPE,OPTIONS -T "$p"`,
    (r) => parseFindmnt(r).at(-1),
  )

/**
 * Shell test: something is mounted at `path`, read from the mount table alone. mountpoint(1) stats the path,
 * and a stat of a FUSE mount whose client hangs never returns (findmnt --mountpoint was seen to answer).
 */
export function mountedInTable(path: string): ShellText {
  return shell`awk -v p=${path} '$5 == p { found = 1 } END { exit !found }' /proc/self/mountinfo`
}

/** PIDs of the processes that use the file system mounted at `path` (fuser -m); none when nothing is mounted there. */
export const mountUsers = (path: string) =>
  fact(`processes using ${path}`, sh`if mountpoint -q -- ${path}; then fuser -m ${path} 2>/dev/null; fi; echo; echo ${endMarker}`, (r) => parseFuserPids(r))

/** fuser prints the PIDs on stdout (access letters and names go to stderr); an answer without the end marker was cut short. */
export function parseFuserPids(result: Result): number[] {
  const lines = result.stdout.trimEnd().split('\n')
  if (result.exitCode !== 0) throw commandFailed(result)
  if (lines.at(-1) !== endMarker) throw new Error(`incomplete answer from fuser (${JSON.stringify(result.stdout.slice(0, 200))}); not planning from it`)
  return [...lines.slice(0, -1).join(' ').matchAll(/\d+/g)].map((m) => Number(m[0]))
}
