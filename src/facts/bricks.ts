// What a brick directory holds: the volume-id gluster stamped on it, and whether it has any entries.
import { sh } from '../engine/command.ts'
import type { Result } from '../engine/result.ts'
import { fact } from '../engine/task.ts'
import { commandFailed } from './answer.ts'

export interface BrickIdentity {
  exists: boolean
  /** volume id as gluster prints it (uuid with dashes), undefined when the xattr is gone */
  volumeId?: string
  /** the brick holds entries besides gluster's own .glusterfs directory */
  hasData: boolean
}

/** Parse the output of the brickIdentity command (three `key=value` lines). */
export function parseBrickIdentity(result: Result): BrickIdentity {
  if (result.exitCode !== 0) throw commandFailed(result)
  const values = Object.fromEntries(
    result.stdout
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]),
  )
  const hex = (values['trusted.glusterfs.volume-id'] ?? '').replace(/^0x/, '')
  const volumeId = /^[0-9a-f]{32}$/.test(hex)
    ? `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
    : undefined
  // a brick judged empty may be reset: only a complete answer counts
  if (values.end !== 'yes' || !values.exists || (values.exists === 'yes' && values.entries === undefined))
    throw new Error(`incomplete answer about the brick (${JSON.stringify(result.stdout.slice(0, 200))}); not planning from it`)
  return { exists: values.exists === 'yes', volumeId, hasData: values.exists === 'yes' && values.entries !== '0' }
}

/** The brick's volume-id xattr and whether it holds data. */
export const brickIdentity = (brick: string) =>
  fact(
    `brick ${brick}`,
    // getfattr's only "absent" answer is ENODATA; any other failure (not installed, no xattr support) is the fact's error
    sh`if [ -d ${brick} ]; then echo exists=yes; v=$(LC_ALL=C getfattr --absolute-names -e hex -n trusted.glusterfs.volume-id -- ${brick} 2>&1); rc=$?; case $rc:$v in 0:*) printf '%s\n' "$v" | grep '^trusted';; *': No such attribute') ;; *) printf '%s\n' "$v" >&2; exit $rc;; esac; echo "entries=$(find ${brick} -mindepth 1 -maxdepth 1 ! -name .glusterfs | head -n 1 | wc -l)"; else echo exists=no; fi; echo end=yes`,
    parseBrickIdentity,
  )

/**
 * Whether gluster ever ran a brick on this directory: its root carries the volume's root gfid. A brick
 * that `volume start force` stamped with the volume-id but that never came up has none.
 */
export const brickRootGfid = (brick: string) =>
  fact(
    `brick root gfid ${brick}`,
    sh`if [ -d ${brick} ]; then v=$(LC_ALL=C getfattr --absolute-names -e hex -n trusted.gfid -- ${brick} 2>&1); rc=$?; case $rc:$v in 0:*) echo yes;; *': No such attribute') echo no;; *) printf '%s\n' "$v" >&2; exit $rc;; esac; else echo no; fi`,
    (r: Result) => {
      if (r.exitCode !== 0 || !/^(yes|no)\n$/.test(r.stdout)) throw commandFailed(r)
      return r.stdout === 'yes\n'
    },
  )
