// Names for the local side of a conflict: name.conflict-HOST-UTCSTAMP.ext, in the same directory.
import { createHash } from 'node:crypto'
import type { Bytes } from '../fs/paths.ts'

/** UTC stamp like 20240131T235959Z, sortable and free of characters that need quoting. */
export function utcStamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
}

/** The conflict name for a base name; keeps the extension so the file still opens with the right app. */
export function conflictName(name: Bytes, host: string, when: Date): Bytes {
  const tag = `.conflict-${host}-${utcStamp(when)}`
  const dot = name.lastIndexOf('.')
  let stem = dot > 0 ? name.slice(0, dot) : name
  const ext = dot > 0 ? name.slice(dot) : ''
  // names are bytes: keep the result within NAME_MAX (255)
  const room = 255 - tag.length - ext.length
  if (stem.length > room) {
    const h = createHash('sha256').update(Buffer.from(stem, 'latin1')).digest('hex').slice(0, 8)
    stem = stem.slice(0, Math.max(1, room - 9)) + '~' + h
  }
  if (stem.length + tag.length + ext.length > 255) return `${stem.slice(0, 255 - tag.length)}${tag}`
  return stem + tag + ext
}
