// The model as `ansible-inventory --list` shows it (each host's groups and merged variables as written),
// so our reading of an inventory can be compared with Ansible's own.
import { stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { groupsOf, hostVars } from './merge.ts'
import type { LoadOptions } from './load.ts'
import { resolveInventoryFile } from './resolve.ts'
import { readInventorySource } from './sources.ts'

export interface ListedHost {
  groups: string[]
  vars: Record<string, unknown>
}

/** Every host of the inventory (the appliance's and the others) with its groups and variables. */
export async function listInventory(nameOrPath: string, options: LoadOptions = {}): Promise<Record<string, ListedHost>> {
  const cwd = options.cwd ?? process.cwd()
  const file = await resolveInventoryFile(nameOrPath, options)
  const inventoryDir = (await stat(file)).isDirectory() ? file : dirname(file)
  const tree = await readInventorySource(file, cwd, { inventoryDir, inventoryScope: true, ...(options.homeDir ? { home: options.homeDir } : {}) })
  const listed: Record<string, ListedHost> = {}
  for (const entry of tree.hosts.values()) {
    const vars = Object.fromEntries([...hostVars(tree, entry)].map(([name, variable]) => [name, variable.raw]))
    listed[entry.name] = { groups: groupsOf(tree, entry).filter((name) => name !== 'ungrouped').sort(), vars }
  }
  return listed
}
