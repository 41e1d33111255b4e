// From what the user typed after --inventory to an inventory file on disk.
import { access } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { isAbsolute, relative, resolve } from 'node:path'
import { InventoryError } from '../engine/errors.ts'

/** The repository's inventory/ folder, where bare names like `home` are looked up. */
export const defaultInventoryDir = fileURLToPath(new URL('../../inventory/', import.meta.url))

export interface ResolveOptions {
  cwd?: string
  inventoryDir?: string
}

/** A path as shown in messages: relative to cwd when inside it, absolute otherwise. */
export function displayPath(file: string, cwd: string): string {
  const rel = relative(cwd, file)
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file
}

/** True for `home`, false for `./home.yaml`, `inventory/home`, `home.yml`. */
export function isBareName(nameOrPath: string): boolean {
  return !nameOrPath.includes('/') && !/\.ya?ml$/i.test(nameOrPath)
}

/** The files to try, in order: `<dir>/<name>.yaml` and `.yml` for a bare name, the path itself otherwise. */
export function candidateFiles(nameOrPath: string, options: ResolveOptions = {}): string[] {
  const cwd = options.cwd ?? process.cwd()
  if (!isBareName(nameOrPath)) return [resolve(cwd, nameOrPath)]
  const dir = resolve(cwd, options.inventoryDir ?? defaultInventoryDir)
  return [resolve(dir, `${nameOrPath}.yaml`), resolve(dir, `${nameOrPath}.yml`)]
}

/** The absolute path of the inventory file, or an error that says where it looked and how to make one. */
export async function resolveInventoryFile(nameOrPath: string, options: ResolveOptions = {}): Promise<string> {
  const cwd = options.cwd ?? process.cwd()
  if (!nameOrPath.trim()) throw new InventoryError('--inventory', undefined, undefined, 'expected an inventory name (like home) or a path to a YAML file')
  const candidates = candidateFiles(nameOrPath, options)
  for (const file of candidates) {
    try {
      await access(file)
      return file
    } catch {
      // try the next candidate
    }
  }
  const shown = candidates.map((file) => displayPath(file, cwd))
  const example = displayPath(resolve(defaultInventoryDir, 'home.yaml'), cwd)
  const looked = shown.length > 1 ? ` (also looked for ${shown.slice(1).join(', ')})` : ''
  throw new InventoryError(
    shown[0]!,
    undefined,
    undefined,
    `no such inventory file${looked}; create one from the example: cp ${example} ${shown[0]}`,
  )
}
