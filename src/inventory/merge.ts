// Ansible's inventory model: groups with hosts, vars and children, and the order in which their variables
// apply (Ansible's documented precedence; see docs/rationale.md, "Inventory variable precedence").
import { readdir, stat } from 'node:fs/promises'
import { extname, join } from 'node:path'
import type { Node } from 'yaml'
import { InventoryError } from '../engine/errors.ts'
import { isHostname } from './hosts.ts'
import { displayPath } from './resolve.ts'
import { didYouMean } from './suggest.ts'
import { layer, readVars, type VarContext, type VarSet } from './vars.ts'
import { isEmpty, mapEntries, readYamlSource, type Origin, type YamlSource } from './yaml-source.ts'

export interface Group {
  name: string
  vars: VarSet
  /** layered group_vars files */
  fileVars: VarSet
  parents: Set<string>
  children: Set<string>
}

export interface HostEntry {
  name: string
  /** groups the host is listed in directly */
  groups: Set<string>
  vars: VarSet
  fileVars: VarSet
  /** where the host was first listed */
  origin: Origin
}

export interface InventoryTree {
  groups: Map<string, Group>
  hosts: Map<string, HostEntry>
}

const groupKeys = ['hosts', 'vars', 'children']

/** An inventory with only the group every inventory has. */
export function emptyTree(): InventoryTree {
  const tree: InventoryTree = { groups: new Map(), hosts: new Map() }
  group(tree, 'all')
  return tree
}

/** The group of that name, made empty on first mention. */
export function group(tree: InventoryTree, name: string): Group {
  let found = tree.groups.get(name)
  if (!found) {
    found = { name, vars: new Map(), fileVars: new Map(), parents: new Set(), children: new Set() }
    tree.groups.set(name, found)
  }
  return found
}

/** True when `candidate` is `of` or one of its ancestors (so making it a child would close a cycle). */
export function isAncestor(tree: InventoryTree, candidate: string, of: string): boolean {
  if (candidate === of) return true
  return [...(tree.groups.get(of)?.parents ?? [])].some((parent) => isAncestor(tree, candidate, parent))
}

function readHosts(src: YamlSource, tree: InventoryTree, groupName: string, node: Node | null, path: string, context: VarContext, keyNode: Node): void {
  const expected = 'a mapping of host names to their variables (hydra: followed by its variables)'
  for (const entry of mapEntries(src, node, path, expected, keyNode, 'a host name')) {
    // Ansible's `name:port` form; an explicit ansible_port in the entry still wins.
    const [, name = entry.key, port] = /^([^:]+):(\d+)$/.exec(entry.key) ?? []
    if (!isHostname(name)) {
      const ranges = /\[.*:.*\]/.test(entry.key) ? ' (host ranges like web[01:10] are not supported)' : ''
      throw src.error(entry.keyNode, entry.path, `expected a host name of letters, digits, hyphens and dots${ranges}`)
    }
    let vars = readVars(src, entry.value, entry.path, { ...context, inventoryScope: false }, entry.keyNode)
    if (port !== undefined) {
      const number = Number(port)
      if (number < 1 || number > 65535) throw src.error(entry.keyNode, entry.path, `expected a port number from 1 to 65535 after the colon, got ${port}`)
      vars = layer(new Map([['ansible_port', { value: number, raw: number, origin: src.origin(entry.keyNode, entry.path) }]]), vars)
    }
    addHost(tree, groupName, name, vars, src.origin(entry.keyNode, entry.path))
  }
}

/** List a host in a group; a host listed again keeps its first place and takes the later variables over its own. */
export function addHost(tree: InventoryTree, groupName: string, name: string, vars: VarSet, origin: Origin): void {
  group(tree, groupName)
  const known = tree.hosts.get(name)
  if (known) {
    known.groups.add(groupName)
    known.vars = layer(known.vars, vars)
  } else {
    tree.hosts.set(name, { name, groups: new Set([groupName]), vars, fileVars: new Map(), origin })
  }
}

function readGroup(src: YamlSource, tree: InventoryTree, name: string, node: Node | null, path: string, keyNode: Node, parent: string | undefined, context: VarContext): void {
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw src.error(keyNode, path, 'expected a group name of letters, digits, _, - and .')
  if (parent) {
    if (name === 'all' || isAncestor(tree, name, parent)) throw src.error(keyNode, path, `expected a child group, but ${name} already contains ${parent}`)
    group(tree, parent).children.add(name)
    group(tree, name).parents.add(parent)
  }
  const current = group(tree, name)
  const expected = 'a group with hosts:, vars: or children:'
  for (const entry of mapEntries(src, node, path, expected, keyNode)) {
    if (entry.key === 'hosts') {
      readHosts(src, tree, name, entry.value, entry.path, context, entry.keyNode)
    } else if (entry.key === 'vars') {
      const vars = readVars(src, entry.value, entry.path, { ...context, inventoryScope: name === 'all' }, entry.keyNode)
      current.vars = layer(current.vars, vars)
    } else if (entry.key === 'children') {
      for (const child of mapEntries(src, entry.value, entry.path, 'a mapping of group names to groups', entry.keyNode, 'a group name')) {
        readGroup(src, tree, child.key, child.value, child.path, child.keyNode, name, context)
      }
    } else {
      const hint = didYouMean(entry.key, groupKeys)
      throw src.error(entry.keyNode, entry.path, `unknown group key${hint || ', expected hosts, vars or children'}${hint ? '' : ' (variables go under vars:)'}`)
    }
  }
}

/** Read the groups and hosts of an inventory file, checking every variable where it is written. */
export function readInventoryTree(src: YamlSource, context: VarContext, tree: InventoryTree = emptyTree()): InventoryTree {
  const root = src.doc.contents as Node | null
  if (isEmpty(root)) {
    throw new InventoryError(src.display, undefined, undefined, 'the file is empty: expected an inventory starting with all: (see inventory/home.yaml)')
  }
  for (const entry of mapEntries(src, root, '', 'an inventory: a mapping starting with all:')) {
    if (groupKeys.includes(entry.key)) {
      throw src.error(entry.keyNode, entry.path, `expected a group at the top level, got ${entry.key}: (indent it under all:)`)
    }
    readGroup(src, tree, entry.key, entry.value, entry.path, entry.keyNode, entry.key === 'all' ? undefined : 'all', context)
  }
  return tree
}

async function varFiles(dir: string, name: string): Promise<string[]> {
  const files: string[] = []
  // As Ansible's host_group_vars: `all`, `all.yml`, `all.yaml`, `all.json`, or a folder `all/`.
  for (const ext of ['', '.yml', '.yaml', '.json']) {
    const file = join(dir, name + ext)
    if ((await stat(file).catch(() => undefined))?.isFile()) files.push(file)
  }
  const folder = join(dir, name)
  if ((await stat(folder).catch(() => undefined))?.isDirectory()) {
    const names = (await readdir(folder)).filter((entry) => ['.yaml', '.yml', '.json', ''].includes(extname(entry)) && !entry.startsWith('.')).sort()
    files.push(...names.map((entry) => join(folder, entry)))
  }
  return files
}

async function readVarFiles(dir: string, name: string, cwd: string, context: VarContext): Promise<VarSet> {
  let vars: VarSet = new Map()
  for (const file of await varFiles(dir, name)) {
    const src = await readYamlSource(file, displayPath(file, cwd))
    vars = layer(vars, readVars(src, src.doc.contents as Node | null, '', context))
  }
  return vars
}

/** Load group_vars/ and host_vars/ in `base` (beside an inventory file, or inside an inventory directory). */
export async function readVarFolders(tree: InventoryTree, base: string, cwd: string, context: VarContext): Promise<void> {
  for (const current of tree.groups.values()) {
    current.fileVars = await readVarFiles(join(base, 'group_vars'), current.name, cwd, { ...context, inventoryScope: current.name === 'all' })
  }
  for (const host of tree.hosts.values()) {
    host.fileVars = await readVarFiles(join(base, 'host_vars'), host.name, cwd, { ...context, inventoryScope: false })
  }
}

/** Every group a host belongs to, directly or through parents, without `all`. */
export function groupsOf(tree: InventoryTree, host: HostEntry): string[] {
  const found = new Set<string>()
  const visit = (name: string): void => {
    if (name === 'all' || found.has(name)) return
    found.add(name)
    for (const parent of tree.groups.get(name)?.parents ?? []) visit(parent)
  }
  for (const name of host.groups) visit(name)
  return [...found]
}

function depth(tree: InventoryTree, name: string): number {
  const parents = [...(tree.groups.get(name)?.parents ?? [])]
  return parents.length ? 1 + Math.max(...parents.map((parent) => depth(tree, parent))) : 0
}

/** A host's variables after layering in Ansible's order (see the top of this file). */
export function hostVars(tree: InventoryTree, host: HostEntry): VarSet {
  const all = tree.groups.get('all')!
  const groups = groupsOf(tree, host)
    .map((name) => ({ name, depth: depth(tree, name) }))
    .sort((a, b) => a.depth - b.depth || a.name.localeCompare(b.name))
    .map(({ name }) => tree.groups.get(name)!)
  let vars = layer(all.vars, all.fileVars)
  for (const current of groups) vars = layer(vars, current.vars)
  for (const current of groups) vars = layer(vars, current.fileVars)
  vars = layer(vars, host.vars)
  return layer(vars, host.fileVars)
}

/** The inventory-wide variables (known_hosts_file, ...): all's vars, then group_vars/all. */
export function inventoryVars(tree: InventoryTree): VarSet {
  const all = tree.groups.get('all')!
  return layer(all.vars, all.fileVars)
}
