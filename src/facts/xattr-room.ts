// Whether the brick's file system keeps gluster's xattrs in the inode. gluster writes about 200 bytes of
// trusted.* xattrs on every brick file (gfid, gfid2path, afr, mdata); with ext4's default 256-byte inodes they
// spill into a block of their own, so a cold lookup that reads xattrs costs a second disk read (gluster's own, and
// overlayfs's with union_lower brick: it reads a lower file's xattrs at lookup). gluster asks for 512-byte inodes.
// The probe: an empty file beside the brick with xattrs of gluster's sizes; a block counted to it means they spilled.
import { sh } from '../engine/command.ts'
import { quote, raw } from '../engine/quote.ts'
import type { Result } from '../engine/result.ts'
import { fact } from '../engine/task.ts'
import { commandFailed } from './answer.ts'

/** in the inode; in a block of their own; not known (no setfattr yet, no trusted xattrs, no such directory) */
export type XattrRoom = 'inode' | 'block' | 'unknown'

// the names and value sizes gluster gives a brick file (a uuid, its parent's uuid and name, a changelog, times)
const probeXattrs: [string, string][] = [
  ['trusted.gfid', `0x${'5e'.repeat(16)}`],
  ['trusted.gfid2path.0123456789abcdef', `${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}/a-file-name.jpg`],
  ['trusted.afr.dirty', `0x${'00'.repeat(12)}`],
  ['trusted.glusterfs.mdata', `0x01${'00'.repeat(52)}`],
]

const setProbeXattrs = raw(probeXattrs.map(([n, v]) => `setfattr -n ${quote(n)} -v ${quote(v)} -- "$p"`).join(' && '))

/** Parses the probe's answer: 512-byte blocks of the empty probe file, or a word for "not known". */
export function parseXattrRoom(result: Result): XattrRoom {
  if (result.exitCode !== 0) throw commandFailed(result)
  const out = result.stdout.trim()
  if (out === 'unknown') return 'unknown'
  if (!/^\d+$/.test(out)) throw new Error(`unexpected answer from the xattr probe: ${JSON.stringify(out.slice(0, 200))}`)
  return Number(out) > 0 ? 'block' : 'inode'
}

/** The probe, in `dir` (the brick's parent: on the brick's file system, outside the volume); removed at once. */
export const xattrRoom = (dir: string) =>
  fact(
    `xattr room on the file system of ${dir}`,
    sh`d=${dir}; if [ ! -d "$d" ] || ! command -v setfattr >/dev/null; then echo unknown; exit 0; fi; p=$(mktemp -p "$d" .gfs-writecache-xattr-probe.XXXXXX) || exit; trap 'rm -f -- "$p"' EXIT; { ${setProbeXattrs}; } 2>/dev/null || { echo unknown; exit 0; }; stat -c %b -- "$p"`,
    parseXattrRoom,
  )
