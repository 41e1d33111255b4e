// Which of an inventory's hosts make up the appliance: those in the groups gfs_storage and gfs_arbiter,
// so an inventory can also hold a monitoring box or web servers; without those groups, every host.
import { groupsOf, type HostEntry, type InventoryTree } from './merge.ts'
import type { HostRole } from './types.ts'

export const storageGroup = 'gfs_storage'
export const arbiterGroup = 'gfs_arbiter'

export interface ApplianceHosts {
  hosts: HostEntry[]
  /** the role each host's group gives it (absent without the groups: the `role` variable decides) */
  roles: Map<string, HostRole>
  /** hosts of the inventory left alone */
  ignored: string[]
  byGroup: boolean
}

/** Pick the appliance's hosts from the model, in the order the inventory lists them. */
export function applianceHosts(tree: InventoryTree): ApplianceHosts {
  const all = [...tree.hosts.values()]
  const byGroup = tree.groups.has(storageGroup) || tree.groups.has(arbiterGroup)
  if (!byGroup) return { hosts: all, roles: new Map(), ignored: [], byGroup }
  const roles = new Map<string, HostRole>()
  for (const host of all) {
    const groups = groupsOf(tree, host)
    if (groups.includes(arbiterGroup)) roles.set(host.name, 'arbiter')
    else if (groups.includes(storageGroup)) roles.set(host.name, 'storage')
  }
  return {
    hosts: all.filter((host) => roles.has(host.name)),
    roles,
    ignored: all.filter((host) => !roles.has(host.name)).map((host) => host.name),
    byGroup,
  }
}
