// Temporary names for atomic publishes, and their cleanup after a crash.
import { createHash } from 'node:crypto'
import { joinRel, type Bytes } from './paths.ts'
import type { SafeTree } from './safe-fs.ts'

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

/** Removes this host's temporaries in the given lower dirs (other hosts may be mid-publish). */
export async function removeStaleTemps(lower: SafeTree, dirs: Iterable<Bytes>, host: string): Promise<number> {
  const mine = `${TEMP_PREFIX}${host}.`
  let removed = 0
  for (const dir of dirs) {
    let names: string[]
    try {
      names = await lower.readdir(dir)
    } catch {
      continue
    }
    for (const name of names) {
      if (!name.startsWith(mine)) continue
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
