// Temp directories of one test process, removed when it exits. For files only: a test that mounts
// something cleans that up itself (removing a directory with a mount inside would reach into the mount).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const made: string[] = []
process.once('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true })
})

/** A new directory under the system's temp directory, removed with its files when this process exits. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  made.push(dir)
  return dir
}
