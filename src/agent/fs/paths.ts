// Byte-exact path handling: names are kept as latin1 "byte strings" so that any
// Linux file name (spaces, newlines, invalid UTF-8, 255 bytes) survives a round trip.

/** A path or name whose characters are raw bytes (latin1), never decoded text. */
export type Bytes = string

/** Turns a user-facing (UTF-8) path into its byte string, for config roots. */
export function toBytes(text: string): Bytes {
  return Buffer.from(text, 'utf8').toString('latin1')
}

/** Turns a byte string back into text for reports; undecodable bytes show as U+FFFD. */
export function fromBytes(bytes: Bytes): string {
  return Buffer.from(bytes, 'latin1').toString('utf8')
}

/** Builds the Buffer path the fs module needs, so no name is ever re-encoded. */
export function fsPath(root: Bytes, rel: Bytes = ''): Buffer {
  return Buffer.from(rel === '' ? root : root + '/' + rel, 'latin1')
}

/** Relative path of a child entry, '' being the root of upper or lower. */
export function joinRel(dir: Bytes, name: Bytes): Bytes {
  return dir === '' ? name : dir + '/' + name
}

/** Directory part of a relative path ('' for top-level names). */
export function parentRel(rel: Bytes): Bytes {
  const i = rel.lastIndexOf('/')
  return i < 0 ? '' : rel.slice(0, i)
}

/** Last component of a relative path. */
export function baseName(rel: Bytes): Bytes {
  return rel.slice(rel.lastIndexOf('/') + 1)
}

/** Depth used to order work so parents are handled before children. */
export function depthOf(rel: Bytes): number {
  let n = 0
  for (let i = 0; i < rel.length; i++) if (rel.charCodeAt(i) === 47) n++
  return n
}
