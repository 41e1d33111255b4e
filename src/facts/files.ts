// Files and directories on a host: content, mode, owner, existence.
import { sh } from '../engine/command.ts'
import { failureReason, type Result } from '../engine/result.ts'
import { fact } from '../engine/task.ts'
import { absentMarker, commandFailed, isAbsent } from './answer.ts'

export interface FileState {
  exists: boolean
  type: 'file' | 'directory' | 'symlink' | 'other' | 'missing'
  mode: number
  owner: string
  group: string
  immutable?: boolean
}

const kinds: Record<string, FileState['type']> = {
  'regular file': 'file',
  'regular empty file': 'file',
  directory: 'directory',
  'symbolic link': 'symlink',
}

/** Parse `stat -c '%F|%a|%U|%G'` output, or the absent marker for a missing path (exists=false). */
export function parseStat(result: Result): FileState {
  if (isAbsent(result)) return { exists: false, type: 'missing', mode: 0, owner: '', group: '' }
  const line = result.stdout.trim().split('\n')[0] ?? ''
  if (result.exitCode !== 0 || !line.includes('|')) throw commandFailed(result)
  const [kind, mode, owner, group, attrs] = line.split('|')
  return {
    exists: true,
    type: kinds[kind ?? ''] ?? 'other',
    mode: parseInt(mode ?? '0', 8),
    owner: owner ?? '',
    group: group ?? '',
    immutable: attrs === undefined ? undefined : /^\S*i\S*\s/.test(attrs),
  }
}

/** Type, mode and owner of a path. */
export const pathState = (path: string) =>
  fact(`stat ${path}`, sh`if [ -e ${path} ] || [ -L ${path} ]; then stat -c '%F|%a|%U|%G' -- ${path}; else echo ${absentMarker}; fi`, parseStat)

/** Type, mode, owner and the immutable attribute of a directory (lsattr -d). */
export const dirWithAttrs = (path: string) =>
  fact(
    `attrs ${path}`,
    sh`if [ -e ${path} ] || [ -L ${path} ]; then s=$(stat -c '%F|%a|%U|%G' -- ${path}) || exit; printf '%s|%s\n' "$s" "$(lsattr -d -- ${path} 2>/dev/null)"; else echo ${absentMarker}; fi`,
    parseStat,
  )

export interface FileContent {
  exists: boolean
  content: string
  mode: number
}

/** Written after a file's content, so output cut short is never mistaken for the whole file. */
export const endMarker = '<<gfs-writecache:end>>'

/** Parse `stat -c %a` on the first line, the file's content, then the end marker. */
export function parseFileContent(result: Result): FileContent {
  if (isAbsent(result)) return { exists: false, content: '', mode: 0 }
  if (result.exitCode !== 0) throw new Error(`cannot read the file: ${failureReason(result)}`)
  const newline = result.stdout.indexOf('\n')
  const mode = result.stdout.slice(0, newline)
  // a plan rewrites whole files (fstab) from this: refuse anything but the complete answer
  if (newline < 0 || !/^[0-7]{3,4}$/.test(mode) || !result.stdout.endsWith(endMarker))
    throw new Error(`incomplete answer (${result.stdout.length} bytes); not planning from it`)
  return { exists: true, mode: parseInt(mode, 8), content: result.stdout.slice(newline + 1, -endMarker.length) }
}

/** A text file's content and mode (exists=false when missing). */
export const fileContent = (path: string) =>
  fact(
    `content ${path}`,
    sh`if [ -e ${path} ]; then stat -c %a -- ${path} && cat -- ${path} && printf %s ${endMarker}; else echo ${absentMarker}; fi`,
    parseFileContent,
  )

/** Parse the digest command: a SHA-256 in hex, or the absent marker (undefined). */
export function parseDigest(result: Result): string | undefined {
  if (isAbsent(result)) return undefined
  const digest = result.stdout.trim()
  if (result.exitCode !== 0 || !/^[0-9a-f]{64}$/.test(digest)) throw commandFailed(result)
  return digest
}

/** The SHA-256 of a file, or undefined when missing: for large files whose content need not travel. */
export const fileDigest = (path: string) =>
  fact(
    `digest ${path}`,
    sh`if [ -e ${path} ]; then s=$(sha256sum -- ${path}) || exit; printf '%s\n' "\${s%% *}"; else echo ${absentMarker}; fi`,
    parseDigest,
  )
