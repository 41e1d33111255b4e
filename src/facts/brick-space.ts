// Free bytes on each brick, from `gluster volume status NAME detail --xml`: a heal that copies a large
// file moves them while its count of pending entries stands still.
import { shell } from '../engine/quote.ts'
import type { Result } from '../engine/result.ts'
import { fact } from '../engine/task.ts'
import { glusterXml } from './gluster.ts'
import { glusterScript, isLockRefusal } from './gluster-cli.ts'
import { findAll, textAt } from './xml.ts'

const skipped = 'not-asked'

/** Parse the detail status into "host:path" -> free bytes (bricks that are down are left out). */
export function parseBrickSpace(result: Result): Record<string, number> {
  if (result.exitCode === 0 && result.stdout.trim() === skipped) return {}
  // progress data only: a lock held elsewhere through every retry leaves it out, like a brick that is down
  if (isLockRefusal(result.stdout)) return {}
  const { doc } = glusterXml(result, [30800, 30806])
  return Object.fromEntries(
    findAll(doc, 'cliOutput/volStatus/volumes/volume/node').flatMap((n) => {
      const free = Number(textAt(n, 'sizeFree'))
      const path = textAt(n, 'path') ?? ''
      return path.startsWith('/') && Number.isFinite(free) ? [[`${textAt(n, 'hostname')}:${path}`, free]] : []
    }),
  )
}

/** Free bytes per brick of the volume; gluster is asked only while this host's brick has a heal index. */
export const brickSpace = (volume: string, brick: string) => {
  const indices = `${brick}/.glusterfs/indices`
  return fact(
    `gluster brick space ${volume}`,
    glusterScript(shell`if [ -d ${indices}/xattrop ] && [ -z "$(find ${indices}/xattrop ${indices}/dirty ${indices}/entry-changes -mindepth 1 -maxdepth 1 ! -name 'xattrop-*' ! -name 'dirty-*' 2>/dev/null | head -n 1)" ]; then echo ${skipped}; exit 0; fi; gfs_gluster volume status ${volume} detail --xml`),
    parseBrickSpace,
  )
}
