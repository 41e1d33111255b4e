// One block of variables (a group's vars, a host's entry, a group_vars file): each key checked where it is written.
import type { Node } from 'yaml'
import { InventoryError } from '../engine/errors.ts'
import { canonicalConnectionKey, connectionKeys, misspeltConnectionKey, readConnection } from './hosts.ts'
import { inventoryKeys, readBoolean, readString, readSetting, settingKeys } from './schema.ts'
import { didYouMean } from './suggest.ts'
import { resolveLocalPath } from './paths.ts'
import { mapEntries, type Origin, type YamlSource } from './yaml-source.ts'

/** A variable's checked value and where it was written. */
export interface Var {
  value: unknown
  origin: Origin
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

/** Read and check a mapping of variables; unknown keys fail with the nearest known one. */
export function readVars(src: YamlSource, node: Node | null, path: string, context: VarContext, fallback?: Node): VarSet {
  const vars: VarSet = new Map()
  for (const entry of mapEntries(src, node, path, 'a mapping of variable names to values', fallback)) {
    const origin = src.origin(entry.value ?? entry.keyNode, entry.path)
    let value: unknown
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
      vars.set(canonicalConnectionKey(entry.key), { value: readConnection(src, entry, context.inventoryDir, context.home), origin })
      continue
    } else if (entry.key.startsWith('ansible_')) {
      const meant = misspeltConnectionKey(entry.key)
      if (meant) throw src.error(entry.keyNode, entry.path, `unknown Ansible variable (did you mean "${meant}"?)`)
      continue
    } else {
      const hint = didYouMean(entry.key, knownKeys)
      throw src.error(entry.keyNode, entry.path, hint ? `unknown variable${hint}` : `unknown variable, expected one of ${settingKeys.join(', ')}, ${inventoryKeys.join(', ')} or an ansible_* variable`)
    }
    vars.set(entry.key, { value, origin })
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
