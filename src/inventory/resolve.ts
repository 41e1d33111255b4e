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
 * The places to try, in order. A path (with a slash) is taken from the current directory, as Ansible reads
 * `-i`. A bare name with an extension (`hosts.ini`, `home.yaml`) too, then the repository's inventory/
 * folder. A bare name without one (`home`) is the repository's named inventory first (`inventory/home.yaml`,
 * `.yml`), then the path from the current directory: in the repository itself `lab` is both the lab's
 * inventory and its source folder.
 */
export function candidateFiles(nameOrPath: string, options: ResolveOptions = {}): string[] {
  const cwd = options.cwd ?? process.cwd()
  const own = resolve(cwd, nameOrPath)
  if (!isBareName(nameOrPath)) return [own]
  const dir = resolve(cwd, options.inventoryDir ?? defaultInventoryDir)
  if (/\.[A-Za-z0-9]+$/.test(nameOrPath)) return [...new Set([own, resolve(dir, nameOrPath)])]
  return [...new Set([resolve(dir, `${nameOrPath}.yaml`), resolve(dir, `${nameOrPath}.yml`), own, resolve(dir, nameOrPath)])]
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
