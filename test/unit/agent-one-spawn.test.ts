// The agent bundle runs programs in one place: one result shape, one way to pass descriptors and
// locale, and one module to read when a child process misbehaves on a host.
import test from 'ava'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'

const agentRoot = resolve('src/agent')

function modules(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? modules(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
  )
}

test('only src/agent/fs/run.ts imports child_process in the agent', (t) => {
  // static and dynamic imports and require, with or without the node: prefix
  const uses = /\bfrom\s*['"](?:node:)?child_process['"]|\bimport\(\s*['"](?:node:)?child_process['"]\s*\)|\brequire\(\s*['"](?:node:)?child_process['"]\s*\)/
  const files = modules(agentRoot)
  t.true(files.length > 20, 'found the agent sources')
  const importing = files.filter((f) => uses.test(readFileSync(f, 'utf8'))).map((f) => relative(resolve('.'), f))
  t.deepEqual(importing, ['src/agent/fs/run.ts'])
})
