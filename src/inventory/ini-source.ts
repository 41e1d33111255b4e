// Ansible's INI inventory format ([group], [group:vars], [group:children], `host key=value ...`) read
// into the same model as the YAML format, each value checked with the line it was written on.
import type { Node } from 'yaml'
import { InventoryError } from '../engine/errors.ts'
import { isHostname } from './hosts.ts'
import { addHost, group, isAncestor, type InventoryTree } from './merge.ts'
import { layer, readVars, type VarContext, type VarSet } from './vars.ts'
import { parseYamlSource } from './yaml-source.ts'

/** Split a line as Python's shlex does with comments on: quotes group words, `#` at a word's start ends the line. */
export function shellWords(line: string): string[] {
  const words: string[] = []
  let word: string | undefined
  let quote: string | undefined
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (quote) {
      if (c === quote) quote = undefined
      else if (c === '\\' && quote === '"' && i + 1 < line.length) word += line[++i]
      else word += c
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word)
      word = undefined
    } else if (c === '#' && word === undefined) {
      break
    } else if (c === '"' || c === "'") {
      quote = c
      word ??= ''
    } else if (c === '\\' && i + 1 < line.length) {
      word = (word ?? '') + line[++i]
    } else {
      word = (word ?? '') + c
    }
  }
  if (quote) throw new Error(`no closing ${quote}`)
  if (word !== undefined) words.push(word)
  return words
}

/** The value Ansible keeps for `key=value` (ast.literal_eval, else the text itself). */
export function pythonLiteral(value: string): unknown {
  if (/^[-+]?\d+$/.test(value)) return Number(value)
  if (/^[-+]?(\d+\.\d*|\.\d+)([eE][-+]?\d+)?$/.test(value)) return Number(value)
  if (value === 'True' || value === 'False') return value === 'True'
  if (value === 'None') return null
  if (/^'[^'\\]*'$|^"[^"\\]*"$/.test(value)) return value.slice(1, -1)
  if (/^[[{]/.test(value)) {
    try {
      return JSON.parse(value.replace(/'/g, '"').replace(/\bTrue\b/g, 'true').replace(/\bFalse\b/g, 'false').replace(/\bNone\b/g, 'null'))
    } catch {
      return value
    }
  }
  return value
}

// Our own variables read the value as YAML 1.1 does (yes/no, numbers, {...} and [...]); text YAML
// cannot take as it is stays a string.
function yamlFor(key: string, value: string): string {
  const quoted = `${key}: ${JSON.stringify(value)}\n`
  try {
    return parseYamlSource(`${key}: ${value}\n`, '', '').doc.errors.length ? quoted : `${key}: ${value}\n`
  } catch {
    return quoted
  }
}

interface IniVariable {
  key: string
  value: string
}

function readIniVars(file: string, display: string, line: number, path: string, found: IniVariable[], context: VarContext): VarSet {
  let vars: VarSet = new Map()
  for (const { key, value } of found) {
    const src = parseYamlSource(yamlFor(key, value), file, display, line - 1)
    const read = readVars(src, src.doc.contents as Node | null, path, context)
    for (const variable of read.values()) {
      variable.raw = pythonLiteral(value)
      if (variable.user) variable.value = variable.raw
    }
    vars = layer(vars, read)
  }
  return vars
}

/** Read an INI inventory's text into the tree (several files may add to one tree). */
export function readIniInventory(text: string, file: string, display: string, context: VarContext, tree: InventoryTree): void {
  // Hosts before the first section are in no group but all (Ansible lists them as ungrouped).
  let section = 'all'
  let kind: 'hosts' | 'vars' | 'children' = 'hosts'
  const fail = (line: number, key: string | undefined, expected: string): never => {
    throw new InventoryError(display, line, key, expected)
  }
  // Ansible refuses a child group no section defines: a typo there would silently empty a group.
  const defined = new Set<string>(['all', 'ungrouped'])
  const children = new Map<string, { line: number; parent: string }>()
  text.split('\n').forEach((raw, index) => {
    const line = index + 1
    const content = raw.trim()
    if (!content || content.startsWith('#') || content.startsWith(';')) return
    const header = /^\[([^\]]*)\]\s*([#;].*)?$/.exec(content)
    if (header) {
      const [name = '', suffix] = header[1]!.split(':', 2)
      if (!/^[A-Za-z0-9_.-]+$/.test(name)) fail(line, undefined, `expected a section like [group], [group:vars] or [group:children], got [${header[1]}]`)
      if (suffix !== undefined && suffix !== 'vars' && suffix !== 'children') fail(line, undefined, `expected [${name}], [${name}:vars] or [${name}:children], got [${header[1]}]`)
      section = name
      kind = (suffix as 'vars' | 'children' | undefined) ?? 'hosts'
      defined.add(section)
      group(tree, section)
      if (section !== 'all') {
        group(tree, 'all').children.add(section)
        group(tree, section).parents.add('all')
      }
      return
    }
    if (kind === 'vars') {
      const eq = content.indexOf('=')
      if (eq <= 0) fail(line, `[${section}:vars]`, `expected key=value, got ${JSON.stringify(content)}`)
      const key = content.slice(0, eq).trim()
      const value = content.slice(eq + 1).trim()
      const vars = readIniVars(file, display, line, `[${section}:vars]`, [{ key, value }], { ...context, inventoryScope: section === 'all' })
      const target = group(tree, section)
      target.vars = layer(target.vars, vars)
      return
    }
    let words: string[]
    try {
      words = shellWords(content)
    } catch (error) {
      return fail(line, undefined, `expected a line Ansible can split into words: ${(error as Error).message}`)
    }
    if (!words.length) return
    if (kind === 'children') {
      const child = words[0]!
      if (!/^[A-Za-z0-9_.-]+$/.test(child)) fail(line, `[${section}:children]`, `expected a group name, got ${JSON.stringify(child)}`)
      if (child === 'all' || isAncestor(tree, child, section)) fail(line, `[${section}:children]`, `expected a child group, but ${child} already contains ${section}`)
      group(tree, section).children.add(child)
      group(tree, child).parents.add(section)
      if (!children.has(child)) children.set(child, { line, parent: section })
      return
    }
    const [pattern, ...assignments] = words as [string, ...string[]]
    const [, name = pattern, port] = /^([^:]+):(\d+)$/.exec(pattern) ?? []
    if (!isHostname(name)) {
      const ranges = /\[.*:.*\]/.test(pattern) ? ' (host ranges like web[01:10] are not supported)' : ''
      fail(line, `[${section}]`, `expected a host name of letters, digits, hyphens and dots${ranges}, got ${JSON.stringify(pattern)}`)
    }
    const found: IniVariable[] = []
    if (port !== undefined) found.push({ key: 'ansible_port', value: port })
    for (const assignment of assignments) {
      const eq = assignment.indexOf('=')
      if (eq <= 0) fail(line, `[${section}].${name}`, `expected key=value host variables after the host name, got ${JSON.stringify(assignment)}`)
      found.push({ key: assignment.slice(0, eq), value: assignment.slice(eq + 1) })
    }
    const vars = readIniVars(file, display, line, `[${section}].${name}`, found, { ...context, inventoryScope: false })
    addHost(tree, section, name, vars, { file: display, line, path: `[${section}].${name}` })
  })
  for (const [child, { line, parent }] of children) {
    if (!defined.has(child) && !tree.groups.get(child)?.vars.size) {
      fail(line, `[${parent}:children]`, `expected a group defined in this inventory, got ${child} (add a [${child}] section, or remove the line)`)
    }
  }
}
