// No import cycle anywhere in src/, type-only imports included: each module can be read, changed and tested
// knowing only what it imports.
import test from 'ava'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

const root = resolve('src')

function modules(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? modules(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
  )
}

/** Relative imports and re-exports of a module, static or dynamic, resolved to files. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)]
  return specs.map((m) => m[1] ?? m[2]).filter((s) => s.startsWith('.')).map((s) => resolve(dirname(file), s))
}

/** Every cycle's modules (one cycle per strongly connected component of more than one module, or a self-import). */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const out: string[][] = []
  const visit = (v: string) => {
    index.set(v, next)
    low.set(v, next++)
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!))
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = []
      let w: string
      do {
        w = stack.pop()!
        onStack.delete(w)
        scc.push(w)
      } while (w !== v)
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.map((f) => relative(root, f)).sort())
    }
  }
  for (const v of graph.keys()) if (!index.has(v)) visit(v)
  return out
}

test('the finder sees a cycle, type-only imports included', (t) => {
  const g = new Map([
    ['/a.ts', ['/b.ts']],
    ['/b.ts', ['/c.ts']],
    ['/c.ts', ['/a.ts']],
    ['/d.ts', ['/a.ts']],
  ])
  t.deepEqual(cycles(g).map((c) => c.length), [3])
  const f = join(root, 'agent/core/pass.ts')
  t.true(importsOf(f).includes(join(root, 'agent/core/pass-parts.ts')), 'import type lines are read')
})

test('no import cycle in src/', (t) => {
  const files = modules(root)
  const graph = new Map(files.map((f) => [f, importsOf(f)]))
  t.true(files.length > 50)
  t.deepEqual(cycles(graph), [])
})
