// The inventory loader: name or path in, a merged and validated Inventory out, or one InventoryError.
import { stat } from 'node:fs/promises'
import { basename, dirname, extname, join } from 'node:path'
import { InventoryError } from '../engine/errors.ts'
import type { Host, HostRole, Inventory, Secret } from './types.ts'
import { applianceHosts, arbiterGroup, storageGroup } from './appliance-hosts.ts'
import { groupsOf, hostVars, inventoryVars } from './merge.ts'
import { displayPath, resolveInventoryFile } from './resolve.ts'
import { buildSettings, checkSettings, type SettingOrigins } from './settings.ts'
import { readInventorySource } from './sources.ts'
import { resolveSshTarget } from './ssh-options.ts'
import { errorAt, type VarSet } from './vars.ts'
import type { Origin } from './yaml-source.ts'

export interface LoadOptions {
  /** base for relative paths given on the command line and for paths shown in messages */
  cwd?: string
  /** where bare names are looked up (default: the repository's inventory/) */
  inventoryDir?: string
  /** home directory for `~` in local paths (default: the user's) */
  homeDir?: string
}

/** A host as built, with where its variables were written (for topology errors). */
export interface LoadedHost {
  host: Host
  origin: Origin
  origins: SettingOrigins
}

function connection<T>(vars: VarSet, key: string): T | undefined {
  return vars.get(key)?.value as T | undefined
}

function buildHost(name: string, groups: string[], vars: VarSet, origin: Origin, groupRole?: HostRole, home?: string): LoadedHost {
  const built = buildSettings(vars)
  const { settings, origins } = built
  const written = origins.get('role')
  if (groupRole && written && built.role !== groupRole) {
    const group = groupRole === 'arbiter' ? arbiterGroup : storageGroup
    throw errorAt(written, `expected role: ${groupRole} or no role, since ${name} is in group ${group}; got ${built.role}`)
  }
  const role = groupRole ?? built.role
  checkSettings(settings, origins, origin)
  const target = resolveSshTarget(name, vars, home)
  const user = target.user
  const host: Host = {
    name,
    address: target.address,
    port: target.port,
    user,
    become: connection<boolean>(vars, 'ansible_become') ?? user !== 'root',
    role,
    groups: groups.sort(),
    settings,
  }
  const privateKeyFile = connection<string>(vars, 'ansible_ssh_private_key_file')
  const password = connection<Secret>(vars, 'ansible_password')
  const becomePassword = connection<Secret>(vars, 'ansible_become_password')
  if (privateKeyFile) host.privateKeyFile = privateKeyFile
  if (target.identityFiles.length) host.identityFiles = target.identityFiles
  if (target.jumps.length) host.jumps = target.jumps
  const retries = vars.get('ansible_ssh_retries')?.value
  if (typeof retries === 'number' && retries >= 0) host.connectAttempts = retries + 1
  if (target.connectAttempts) host.connectAttempts = target.connectAttempts
  if (target.connectTimeoutMs) host.connectTimeoutMs = target.connectTimeoutMs
  if (password) host.password = password
  if (becomePassword) host.becomePassword = becomePassword
  return { host, origin, origins }
}

// Volume-wide settings every host must agree on.
const sharedSettings = [
  ['volume', 'volume'],
  ['split_brain_policy', 'splitBrainPolicy'],
  ['tls', 'tls'],
  ['gluster_options', 'glusterOptions'],
] as const

function show(value: unknown): string {
  return JSON.stringify(value && typeof value === 'object' ? Object.fromEntries(Object.entries(value).sort()) : value)
}

/** Refuse inventories the appliance cannot be built from: it is replica 2 with an optional arbiter. */
export function checkTopology(file: string, loaded: LoadedHost[], byGroup = false): void {
  const storage = loaded.filter(({ host }) => host.role === 'storage')
  const how = byGroup ? ` (the hosts of group ${storageGroup})` : ''
  const arbiters = loaded.filter(({ host }) => host.role === 'arbiter')
  const names = (list: LoadedHost[]): string => list.map(({ host }) => host.name).join(', ') || 'none'
  if (storage.length > 2) {
    const extra = storage[2]!
    throw errorAt(extra.origin, `expected exactly two storage hosts${how} (the volume is replica 2; ${byGroup ? `a third host may be in group ${arbiterGroup}` : `a third host may be role: arbiter, or list the appliance's hosts in group ${storageGroup} to leave the others alone`}), got ${storage.length}: ${names(storage)}`)
  }
  if (storage.length < 2) {
    throw new InventoryError(file, undefined, 'all.hosts', `expected exactly two storage hosts${how} (the volume is replica 2), got ${storage.length}: ${names(storage)}`)
  }
  if (arbiters.length > 1) {
    const second = arbiters[1]!
    throw errorAt(second.origins.get('role') ?? second.origin, `expected at most one arbiter, got ${arbiters.length}: ${names(arbiters)}`)
  }
  for (const current of loaded) {
    if (current.host.settings.unionLower !== 'brick') continue
    if (current.host.role === 'arbiter') {
      throw errorAt(current.origins.get('union_lower') ?? current.origin, `expected union_lower gv0 on an arbiter host (it has no data brick and no union), got "brick"`)
    }
    if (arbiters.length > 0) {
      throw errorAt(
        current.origins.get('union_lower') ?? current.origin,
        `expected union_lower gv0 with an arbiter (${names(arbiters)}): with one, one side can take writes alone and this host's brick can fall behind; got "brick"`,
      )
    }
  }
  const seen = new Map<string, LoadedHost>()
  for (const current of loaded) {
    const key = `${current.host.address.toLowerCase()}:${current.host.port}`
    const first = seen.get(key)
    if (first) {
      throw errorAt(
        current.origins.get('ansible_host') ?? current.origins.get('ansible_port') ?? current.origin,
        `expected an address and port not used by ${first.host.name}, got ${JSON.stringify(current.host.address)} port ${current.host.port}`,
      )
    }
    seen.set(key, current)
  }
  const [reference] = loaded
  for (const current of loaded.slice(1)) {
    for (const [key, field] of sharedSettings) {
      const expected = show(reference!.host.settings[field])
      const actual = show(current.host.settings[field])
      if (expected !== actual) {
        throw errorAt(current.origins.get(key) ?? current.origin, `expected the same ${key} on every host (${reference!.host.name} has ${expected}), got ${actual}`)
      }
    }
  }
}

/** Read an inventory by name (`home` -> inventory/home.yaml), file or directory path, as every playbook's first step. */
export async function loadInventory(nameOrPath: string, options: LoadOptions = {}): Promise<Inventory> {
  const cwd = options.cwd ?? process.cwd()
  const file = await resolveInventoryFile(nameOrPath, options)
  const display = displayPath(file, cwd)
  const isDirectory = (await stat(file)).isDirectory()
  const inventoryDir = isDirectory ? file : dirname(file)
  const context = { inventoryDir, inventoryScope: true, ...(options.homeDir ? { home: options.homeDir } : {}) }
  const tree = await readInventorySource(file, cwd, context)
  const chosen = applianceHosts(tree)
  const loaded = chosen.hosts.map((entry) =>
    buildHost(entry.name, groupsOf(tree, entry), hostVars(tree, entry), entry.origin, chosen.roles.get(entry.name), options.homeDir),
  )
  checkTopology(display, loaded, chosen.byGroup)
  const wide = inventoryVars(tree)
  const userVariables = new Map<string, Origin>()
  for (const entry of chosen.hosts) {
    for (const [name, variable] of hostVars(tree, entry)) if (variable.user && !userVariables.has(name)) userVariables.set(name, variable.origin)
  }
  const stem = isDirectory ? basename(file) : basename(file, extname(file))
  return {
    file,
    hosts: loaded.map(({ host }) => host),
    knownHostsFile: (wide.get('known_hosts_file')?.value as string | undefined) ?? join(dirname(file), `${stem}.known_hosts`),
    trustNewHostKeys: (wide.get('trust_new_host_keys')?.value as boolean | undefined) ?? false,
    ignoredHosts: chosen.ignored,
    userVariables: [...userVariables].map(([name, origin]) => ({ name, origin })),
  }
}
