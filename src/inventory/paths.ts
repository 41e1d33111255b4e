// Path rules shared by our variables: remote paths must be absolute, local ones resolve like a shell would.
import { homedir } from 'node:os'
import { posix, resolve } from 'node:path'

/** `~` and `~/x` expanded against the home directory; other paths unchanged. */
export function expandHome(path: string, home: string = homedir()): string {
  if (path === '~') return home
  if (path.startsWith('~/')) return resolve(home, path.slice(2))
  return path
}

/** A local file named in the inventory: `~` expanded, relative paths taken from the inventory's folder. */
export function resolveLocalPath(path: string, baseDir: string, home?: string): string {
  return resolve(baseDir, expandHome(path, home))
}

/** An absolute remote path in canonical form (no `.`/`..`, no trailing slash), so paths can be compared. */
export function normalizeRemotePath(path: string): string {
  const normal = posix.normalize(path)
  return normal.length > 1 ? normal.replace(/\/+$/, '') : normal
}

/** True when `inner` is `outer` itself or lies below it. */
export function isWithin(inner: string, outer: string): boolean {
  if (inner === outer) return true
  return inner.startsWith(outer === '/' ? '/' : `${outer}/`)
}
