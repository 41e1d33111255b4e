// Inventory tests write their files into a fresh temp folder.
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { tempDir } from './temp.ts'

/** Writes `files` (relative path -> text) into a new temp folder and returns the folder. */
export async function fixture(files: Record<string, string>): Promise<string> {
  const dir = tempDir('inventory-')
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true })
    await writeFile(join(dir, name), text)
  }
  return dir
}
