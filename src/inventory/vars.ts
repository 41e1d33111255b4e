// One block of variables (a group's vars, a host's entry, a group_vars file): each key checked where it is written.
import { isMap, isScalar, isSeq, type Node } from 'yaml'
import { InventoryError } from '../engine/errors.ts'
import { canonicalConnectionKey, connectionKeys, misspeltConnectionKey, readConnection } from './hosts.ts'
import { inventoryKeys, readBoolean, readString, readSetting, settingKeys } from './schema.ts'
import { didYouMean } from './suggest.ts'
import { resolveLocalPath } from './paths.ts'
import { mapEntries, type MapEntry, type Origin, type YamlSource } from './yaml-source.ts'

/** A variable's checked value and where it was written. */
export interface Var {
  value: unknown
  origin: Origin
  /** the value as written (plain JS), for listing the inventory as Ansible does */
  raw?: unknown
  /** a variable of the user's own (ntp_server, ...): kept for Ansible, unused here */
  user?: true
}

/** Variables by YAML name; ignored ansible_* keys are not kept. */
export type VarSet = Map<string, Var>

export interface VarContext {
  /** folder of the inventory file: relative local paths are taken from here */
  inventoryDir: string
  home?: string
  /** true where inventory-wide keys (known_hosts_file, ...) may be set */
  inventoryScope: boolean
}

const knownKeys = [...settingKeys, ...inventoryKeys, ...Object.keys(connectionKeys)]

/** A `{{ ... }}` or `{% ... %}` anywhere in the value: Ansible would template it, we cannot. */
function jinjaIn(node: Node | null): Node | undefined {
  if (isScalar(node)) return typeof node.value === 'string' && /\{\{|\{%/.test(node.value) ? node : undefined
  if (isMap(node)) {
    for (const pair of node.items) {
      const found = jinjaIn(pair.value as Node | null)
      if (found) return found
    }
  }
  if (isSeq(node)) for (const item of node.items) {
    const found = jinjaIn(item as Node | null)
    if (found) return found
  }
  return undefined
}

function refuseJinja(src: YamlSource, entry: MapEntry): void {
  const templated = jinjaIn(entry.value)
  if (templated) {
    throw src.error(templated, entry.path, `expected a plain value: ${entry.key} is read by gfs-writecache, which does not evaluate Jinja templates; write the value itself`)
  }
}

function plain(node: Node | null): unknown {
  try {
    return node && 'toJSON' in node ? (node as { toJSON(): unknown }).toJSON() : null
  } catch {
    return undefined // a broken merge key: the checked reading says what is wrong
  }
}

/**
 * Read and check a mapping of variables. Ours and the honoured ansible_* ones are checked; any other
 * name is the user's own and kept unchecked, unless it is so close to one of ours that it is a typo.
 */
export function readVars(src: YamlSource, node: Node | null, path: string, context: VarContext, fallback?: Node): VarSet {
  const vars: VarSet = new Map()
  for (const entry of mapEntries(src, node, path, 'a mapping of variable names to values', fallback)) {
    const origin = src.origin(entry.value ?? entry.keyNode, entry.path)
    const raw = plain(entry.value)
    let value: unknown
    const ours = (settingKeys as readonly string[]).includes(entry.key) || (inventoryKeys as readonly string[]).includes(entry.key) || entry.key in connectionKeys
    if (ours) refuseJinja(src, entry)
    if ((settingKeys as readonly string[]).includes(entry.key)) {
      value = readSetting(src, entry)
    } else if ((inventoryKeys as readonly string[]).includes(entry.key)) {
      if (!context.inventoryScope) {
        throw src.error(entry.keyNode, entry.path, 'applies to the whole inventory: expected it only in all.vars (or group_vars/all)')
      }
      value = entry.key === 'trust_new_host_keys'
        ? readBoolean(src, entry)
        : resolveLocalPath(readString(src, entry, 'a path to a known_hosts file'), context.inventoryDir, context.home)
    } else if (entry.key in connectionKeys) {
      vars.set(canonicalConnectionKey(entry.key), { value: readConnection(src, entry, context.inventoryDir, context.home), origin, raw })
      continue
    } else if (entry.key.startsWith('ansible_')) {
      const meant = misspeltConnectionKey(entry.key)
      if (meant) throw src.error(entry.keyNode, entry.path, `unknown Ansible variable (did you mean "${meant}"?)`)
      vars.set(entry.key, { value: raw, origin, raw, user: true })
      continue
    } else {
      const hint = didYouMean(entry.key, knownKeys)
      if (hint) throw src.error(entry.keyNode, entry.path, `unknown variable${hint}; a variable of your own needs a name not this close to one of ours`)
      vars.set(entry.key, { value: raw, origin, raw, user: true })
      continue
    }
    vars.set(entry.key, { value, origin, raw })
  }
  return vars
}

/** Layer `over` onto `base`, later layers winning key by key (Ansible's default replace, no deep merge). */
export function layer(base: VarSet, over: VarSet): VarSet {
  const merged = new Map(base)
  for (const [key, value] of over) merged.set(key, value)
  return merged
}

/** An error at the place a variable was written. */
export function errorAt(origin: Origin, expected: string): InventoryError {
  return new InventoryError(origin.file, origin.line, origin.path, expected)
}
