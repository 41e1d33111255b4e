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

/** True for `home`, false for `./home.yaml`, `inventory/home`: only bare names are also looked up in inventory/. */
export function isBareName(nameOrPath: string): boolean {
  return !nameOrPath.includes('/')
}

/**
 * The places to try, in order: the path from the current directory (as Ansible reads `-i`), then for a
 * bare name the repository's inventory/ folder: `<name>`, `<name>.yaml`, `<name>.yml`.
 */
export function candidateFiles(nameOrPath: string, options: ResolveOptions = {}): string[] {
  const cwd = options.cwd ?? process.cwd()
  const own = resolve(cwd, nameOrPath)
  if (!isBareName(nameOrPath)) return [own]
  const dir = resolve(cwd, options.inventoryDir ?? defaultInventoryDir)
  const named = /\.(ya?ml|json)$/i.test(nameOrPath) ? [nameOrPath] : [nameOrPath, `${nameOrPath}.yaml`, `${nameOrPath}.yml`]
  return [...new Set([own, ...named.map((name) => resolve(dir, name))])]
}

/** The absolute path of the inventory file or directory, or an error that says where it looked and how to make one. */
export async function resolveInventoryFile(nameOrPath: string, options: ResolveOptions = {}): Promise<string> {
  const cwd = options.cwd ?? process.cwd()
  if (!nameOrPath.trim()) throw new InventoryError('--inventory', undefined, undefined, 'expected an inventory name (like home) or a path to an inventory file or directory')
  if (nameOrPath.includes(',') && !nameOrPath.includes('/')) {
    throw new InventoryError('--inventory', undefined, undefined, `expected an inventory file or directory, got the host list ${JSON.stringify(nameOrPath)}: the appliance's variables need an inventory file`)
  }
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
  const target = shown.find((file) => /\.ya?ml$/.test(file)) ?? shown[0]!
  const looked = shown.length > 1 ? ` (also looked for ${shown.slice(1).join(', ')})` : ''
  throw new InventoryError(
    shown[0]!,
    undefined,
    undefined,
    `no such inventory file or directory${looked}; create one from the example: cp ${example} ${target}`,
  )
}
