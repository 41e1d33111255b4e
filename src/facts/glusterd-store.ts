// glusterd's own store under /var/lib/glusterd, read from the files: it answers while glusterd is down,
// which is exactly when it is needed (a glusterd whose volumes name a peer it has no entry for will not start).
import { sh } from '../engine/command.ts'
import type { Result } from '../engine/result.ts'
import { fact } from '../engine/task.ts'
import { commandFailed } from './answer.ts'

export const glusterdDir = '/var/lib/glusterd'

export interface StoredPeer {
  uuid: string
  names: string[]
}

export interface GlusterdStore {
  /** this glusterd's UUID ('' before glusterd made one: at its first pool or volume operation) */
  uuid: string
  /** the peer entries in peers/ */
  peers: StoredPeer[]
  /** the hosts the stored volumes' bricks are on, by the UUID and name glusterd keeps for each brick */
  brickHosts: StoredPeer[]
}

/** Parse the store command's `uuid=`, `peer UUID NAME...`, `brick UUID NAME` lines (and its end marker). */
export function parseGlusterdStore(result: Result): GlusterdStore {
  if (result.exitCode !== 0) throw commandFailed(result)
  const lines = result.stdout.split('\n')
  if (!lines.includes('end=yes')) throw new Error(`incomplete answer about ${glusterdDir} (${JSON.stringify(result.stdout.slice(0, 200))}); not planning from it`)
  const uuid = lines.find((l) => l.startsWith('uuid='))?.slice(5).trim() ?? ''
  const entries = (kind: string) =>
    lines
      .filter((l) => l.startsWith(`${kind} `))
      .map((l) => l.split(/\s+/).filter(Boolean).slice(1))
      .filter(([id]) => id && /^[0-9a-f-]{36}$/.test(id))
      .map(([id, ...names]) => ({ uuid: id!, names }))
  const brickHosts: StoredPeer[] = []
  for (const b of entries('brick')) if (!brickHosts.some((h) => h.uuid === b.uuid)) brickHosts.push(b)
  return { uuid, peers: entries('peer'), brickHosts }
}

/** This glusterd's UUID, its peer entries and the hosts of its volumes' bricks, read from the store's files. */
export const glusterdStore = (dir = glusterdDir) =>
  fact(
    `glusterd store ${dir}`,
    sh`d=${dir}; echo "uuid=$(sed -n 's/^UUID=//p' "$d/glusterd.info" 2>/dev/null)"
for f in "$d"/peers/*; do [ -f "$f" ] || continue; echo "peer $(sed -n 's/^uuid=//p' "$f") $(sed -n 's/^hostname[0-9]*=//p' "$f" | tr '\\n' ' ')"; done
for f in "$d"/vols/*/bricks/*; do [ -f "$f" ] || continue; echo "brick $(sed -n 's/^uuid=//p' "$f") $(sed -n 's/^hostname=//p' "$f")"; done
echo end=yes`,
    parseGlusterdStore,
  )
