// Temporary names for atomic publishes, and their cleanup after a crash.
import { createHash } from 'node:crypto'
import { joinRel, type Bytes } from '../fs/paths.ts'
import type { SafeTree } from '../fs/safe-fs.ts'

export const TEMP_PREFIX = '.gfs-writecache.tmp.'

/** Temp name in the target's directory: per host, per name, per process, always <= 255 bytes. */
export function tempName(host: string, name: Bytes): Bytes {
  const h = createHash('sha256').update(Buffer.from(name, 'latin1')).digest('hex').slice(0, 16)
  return `${TEMP_PREFIX}${host}.${h}.${process.pid}`
}

/** True for any host's temporaries (never published, never used for opaque deletes). */
export function isTempName(name: Bytes): boolean {
  return name.startsWith(TEMP_PREFIX)
}

/**
 * The host a temporary name belongs to, or null for a name that only looks like one. Host names may
 * hold dots, so the name is parsed from the right: a prefix match would take "hydra.lab"'s
 * temporaries for "hydra"'s.
 */
export function tempOwner(name: Bytes): string | null {
  if (!isTempName(name)) return null
  const m = /^(.+)\.[0-9a-f]{16}\.\d+$/.exec(name.slice(TEMP_PREFIX.length))
  return m ? m[1] : null
}

/** True only for this host's own temporaries: another host's may be mid-publish and are never touched. */
export function isOwnTemp(name: Bytes, host: string): boolean {
  return tempOwner(name) === host
}

/** Removes this host's temporaries in the given lower dirs (other hosts may be mid-publish). */
export async function removeStaleTemps(lower: SafeTree, dirs: Iterable<Bytes>, host: string): Promise<number> {
  let removed = 0
  for (const dir of dirs) {
    let names: string[]
    try {
      names = await lower.readdir(dir)
    } catch {
      continue
    }
    for (const name of names) {
      if (!isOwnTemp(name, host)) continue
      try {
        await lower.unlink(joinRel(dir, name))
        removed++
      } catch {
        // gone already
      }
    }
  }
  return removed
}
