// Every file of an inventory source read into one model, as Ansible reads `-i PATH`: a YAML or INI file,
// or a directory of them (in name order, sub-directories too), with group_vars/ and host_vars/ beside it.
import { readFile, readdir, stat } from 'node:fs/promises'
import { extname, join } from 'node:path'
import { InventoryError } from '../engine/errors.ts'
import { readIniInventory } from './ini-source.ts'
import { emptyTree, readInventoryTree, readVarFolders, type InventoryTree } from './merge.ts'
import { displayPath } from './resolve.ts'
import type { VarContext } from './vars.ts'
import { parseYamlSource } from './yaml-source.ts'

// Ansible's INVENTORY_IGNORE_EXTS default (REJECT_EXTS + .orig, .ini, .cfg, .retry): skipped inside a directory.
const ignoredExtensions = ['.pyc', '.pyo', '.swp', '.bak', '~', '.rpm', '.md', '.txt', '.rst', '.orig', '.ini', '.cfg', '.retry']
const yamlExtensions = ['.yaml', '.yml', '.json']

/** The files Ansible reads for an inventory directory, in its order. */
export async function inventoryFiles(dir: string): Promise<string[]> {
  const files: string[] = []
  for (const name of (await readdir(dir)).sort()) {
    if (name.startsWith('.') || name === 'group_vars' || name === 'host_vars') continue
    if (ignoredExtensions.some((ext) => name.endsWith(ext))) continue
    const path = join(dir, name)
    const info = await stat(path)
    if (info.isDirectory()) files.push(...(await inventoryFiles(path)))
    else if (info.isFile()) files.push(path)
  }
  return files
}

const firstLine = (text: string): string => text.split('\n').map((l) => l.trim()).find((l) => l && !l.startsWith('#') && !l.startsWith(';')) ?? ''
const looksIni = (text: string): boolean => /^\[[^\]]*\]$/.test(firstLine(text))
const looksYaml = (text: string): boolean => /^[A-Za-z0-9_.-]+:\s*$/.test(firstLine(text)) || firstLine(text) === '---'

/** Read one inventory file into the tree: YAML by its extension (as Ansible's yaml plugin), INI otherwise. */
export async function readInventoryFile(file: string, cwd: string, context: VarContext, tree: InventoryTree): Promise<void> {
  const display = displayPath(file, cwd)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error)
    throw new InventoryError(display, undefined, undefined, `expected a readable inventory file (${code})`)
  }
  const ext = extname(file).toLowerCase()
  const yaml = yamlExtensions.includes(ext)
  if (yaml && !looksIni(text)) {
    readInventoryTree(parseYamlSource(text, file, display), context, tree)
    return
  }
  // Ansible's yaml plugin also takes files without an extension; INI is what is left.
  if (!ext && !looksIni(text) && looksYaml(text)) {
    readInventoryTree(parseYamlSource(text, file, display), context, tree)
    return
  }
  try {
    readIniInventory(text, file, display, context, tree)
  } catch (error) {
    if (error instanceof InventoryError && !yaml && looksYaml(text)) {
      throw new InventoryError(display, error.line, error.key, `${error.expected} (read as INI: this looks like YAML, which Ansible reads only from files named .yaml, .yml, .json or without an extension)`)
    }
    throw error
  }
}

/** The whole model of an inventory file or directory, group_vars/ and host_vars/ included. */
export async function readInventorySource(path: string, cwd: string, context: VarContext): Promise<InventoryTree> {
  const tree = emptyTree()
  const isDirectory = (await stat(path)).isDirectory()
  const files = isDirectory ? await inventoryFiles(path) : [path]
  if (!files.length) throw new InventoryError(displayPath(path, cwd), undefined, undefined, 'expected inventory files in this directory, found none (Ansible skips .ini, .cfg, .txt, .md and hidden files here)')
  for (const file of files) await readInventoryFile(file, cwd, context, tree)
  await readVarFolders(tree, isDirectory ? path : context.inventoryDir, cwd, context)
  return tree
}
