// The version `--version` prints: package.json's, read once (the CLI may run from a bundle elsewhere).
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** gfs-writecache's version from the package.json of this checkout. */
export function version(): string {
  for (const path of ['../../package.json', '../package.json']) {
    try {
      const found = JSON.parse(readFileSync(fileURLToPath(new URL(path, import.meta.url)), 'utf8')) as { name?: string; version: string }
      if (found.name === 'gfs-writecache') return found.version
    } catch {
      // the bundle sits one level less deep
    }
  }
  return 'unknown'
}
