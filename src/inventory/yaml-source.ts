// A parsed YAML file that remembers where every key and value was written, so each error names a line.
import { readFile } from 'node:fs/promises'
import { Document, LineCounter, Scalar, isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml'
import type { Node } from 'yaml'
import { InventoryError } from '../engine/errors.ts'

/** Where a value was written: the file as shown to the user, its line, and the dotted key path in it. */
export interface Origin {
  file: string
  line: number | undefined
  path: string
}

/** One key of a YAML mapping with the nodes it came from. */
export interface MapEntry {
  key: string
  keyNode: Node
  /** the value node, aliases resolved; null for `key:` with nothing after it */
  value: Node | null
  /** dotted path of this entry in its file */
  path: string
}

export class YamlSource {
  constructor(
    /** absolute path */
    readonly file: string,
    /** the path as shown in messages */
    readonly display: string,
    readonly doc: Document,
    private readonly lines: LineCounter,
    /** lines before the text parsed (a value cut out of an INI file) */
    private readonly lineOffset = 0,
  ) {}

  lineOf(node: Node | null | undefined): number | undefined {
    const offset = node?.range?.[0]
    return offset === undefined ? undefined : this.lines.linePos(offset).line + this.lineOffset
  }

  origin(node: Node | null | undefined, path: string): Origin {
    return { file: this.display, line: this.lineOf(node), path }
  }

  /** An InventoryError at the node's line (or the fallback node's, for values left empty). */
  error(node: Node | null | undefined, path: string, expected: string, fallback?: Node): InventoryError {
    const line = this.lineOf(node) ?? this.lineOf(fallback)
    return new InventoryError(this.display, line, path || undefined, expected)
  }
}

/** Read and parse a YAML file as Ansible does (YAML 1.1: yes/no are booleans), failing on syntax errors. */
export async function readYamlSource(file: string, display: string): Promise<YamlSource> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error)
    throw new InventoryError(display, undefined, undefined, `expected a readable YAML file (${code})`)
  }
  return parseYamlSource(text, file, display)
}

/** Parse YAML text; the first syntax error becomes an InventoryError with its line and column. */
export function parseYamlSource(text: string, file: string, display: string, lineOffset = 0): YamlSource {
  const lines = new LineCounter()
  const doc = parseDocument(text, { version: '1.1', lineCounter: lines, prettyErrors: false, uniqueKeys: true })
  const [first] = doc.errors
  if (first) {
    const { line, col } = lines.linePos(first.pos[0])
    const message = first.message.replace(/\s+/g, ' ').trim()
    throw new InventoryError(display, line + lineOffset, undefined, `YAML syntax error at column ${col}: ${message}`)
  }
  return new YamlSource(file, display, doc, lines, lineOffset)
}

/** Follow an alias to the node it names, so `*anchor` values are checked like written ones. */
export function resolveNode(src: YamlSource, node: unknown): Node | null {
  if (node === null || node === undefined) return null
  if (isAlias(node)) return (node.resolve(src.doc) as Node | undefined) ?? null
  return node as Node
}

/** True for `key:` with nothing after it (and `~` / `null`). */
export function isEmpty(node: Node | null): boolean {
  return node === null || (isScalar(node) && node.value === null)
}

/** Append a key to a dotted path, quoting keys that contain dots so the path stays readable. */
export function joinPath(path: string, key: string): string {
  const part = /^[^.\s"]+$/.test(key) ? key : JSON.stringify(key)
  return path ? `${path}.${part}` : part
}

/** How a value reads in "got ..." (strings quoted, collections named). */
export function describe(node: Node | null): string {
  if (isEmpty(node)) return 'nothing'
  if (isMap(node)) return 'a mapping'
  if (isSeq(node)) return 'a list'
  if (isScalar(node)) {
    const value = node.value
    return typeof value === 'string' ? JSON.stringify(value) : String(value)
  }
  return 'an unreadable value'
}

/**
 * The entries of a mapping, in order, with YAML merge keys (`<<: *base`) expanded before the
 * explicit keys. `expected` describes the mapping for the error when the node is something else.
 */
export function mapEntries(src: YamlSource, node: Node | null, path: string, expected: string, fallback?: Node, keyName = 'a name'): MapEntry[] {
  if (isEmpty(node)) return []
  if (!isMap(node)) throw src.error(node, path, `expected ${expected}, got ${describe(node)}`, fallback)
  const merged: MapEntry[] = []
  const own: MapEntry[] = []
  for (const pair of node.items) {
    const keyNode = pair.key as Node | null
    if (isScalar(keyNode) && typeof keyNode.value === 'symbol') {
      const sources = resolveNode(src, pair.value)
      const list = isSeq(sources) ? sources.items.map((item) => resolveNode(src, item)) : [sources]
      for (const source of list) merged.push(...mapEntries(src, source, path, 'a mapping to merge', keyNode))
      continue
    }
    const raw = isScalar(keyNode) ? keyNode.value : undefined
    if (raw === null || raw === undefined || raw === '' || typeof raw === 'object') {
      // An empty key sits at the end of the line before; the value shows where the entry is.
      const line = (pair.value as Node | null) ?? keyNode
      throw src.error(line, path, `expected ${keyName} before the colon, got ${isScalar(keyNode) ? 'nothing' : 'a complex key'}`, node)
    }
    const key = String(raw)
    own.push({ key, keyNode: keyNode as Scalar, value: resolveNode(src, pair.value), path: joinPath(path, key) })
  }
  const explicit = new Set(own.map((entry) => entry.key))
  return [...merged.filter((entry) => !explicit.has(entry.key)), ...own]
}
