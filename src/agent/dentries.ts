// Stale negative dentries hide remote creations behind the union (DESIGN.md); dropping them fixes it.
import { writeFileSync } from 'node:fs'

/** Drops dentries and inodes (not the page cache) so remote creations become visible. */
export function dropDentries(file = '/proc/sys/vm/drop_caches'): void {
  writeFileSync(file, '2\n')
}
