// Fuzz-style robustness, bounded and deterministic: mutated inventories either load or fail with an
// InventoryError (never another exception, never slowly); odd names survive the quoting helper in a real shell.
import test from 'ava'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { put, sh } from '../../src/engine/command.ts'
import { InventoryError } from '../../src/engine/errors.ts'
import { localExecutor } from '../../src/engine/local-executor.ts'
import { quote } from '../../src/engine/quote.ts'
import { loadInventory } from '../../src/inventory/load.ts'

/** mulberry32: a small seeded generator, so every failure can be replayed. */
function random(seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]! }
}

const base = `all:
  vars:
    volume: gv0
    brick: /data/brick1/gv0
    tls: true
    split_brain_policy: none
    gluster_options:
      network.ping-timeout: "10"
    flush:
      settle_seconds: 5
      high_watermark_percent: 90
  hosts:
    hydra:
      ansible_host: 10.0.0.1
      ansible_port: 22
      ansible_user: root
    plexus:
      ansible_host: 10.0.0.2
      ansible_password: s3cret
  children:
    storage:
      hosts:
        hydra:
        plexus:
`

const oddText = ['\u0000', '\u202e', '\ufeff', '🎉', 'ü', '\t', '\r\n', '"', "'", '&a', '*a', '!!binary', '{', '[', ': ', '- ', '#', '%YAML 1.2\n', '---\n', '\\', '$(id)', '~']
const scalars = ['[]', '{}', '[1, 2]', '{a: 1}', 'null', '~', 'true', 'no', '0x1F', '1e400', '-1', '.nan', '""', "''", '!!str 5', '&x 1', '*x', '2024-01-01', '"\\u0000"', '|\n      block']

type Mutation = (text: string, r: ReturnType<typeof random>) => string | Buffer

const mutations: Record<string, Mutation> = {
  'byte flip': (text, r) => {
    const bytes = Buffer.from(text)
    for (let i = 0, n = 1 + r.int(4); i < n; i++) bytes[r.int(bytes.length)] = r.int(256)
    return bytes
  },
  truncation: (text, r) => text.slice(0, r.int(text.length)),
  'odd unicode': (text, r) => {
    const at = r.int(text.length)
    return text.slice(0, at) + r.pick(oddText) + text.slice(at)
  },
  'type swap': (text, r) => {
    const lines = text.split('\n')
    const candidates = lines.map((l, i) => [l, i] as const).filter(([l]) => /:\s*\S/.test(l))
    const [line, i] = r.pick(candidates)
    lines[i] = line.replace(/:\s*.*$/, `: ${r.pick(scalars)}`)
    return lines.join('\n')
  },
  'key swap': (text, r) => {
    const lines = text.split('\n')
    const i = r.int(lines.length)
    lines[i] = lines[i]!.replace(/^(\s*)[^:\s]+:/, `$1${r.pick(['all', 'hosts', 'vars', 'children', 'ansible_host', 'flush', 'role', '"\u0000"', '? [a]', '<<'])}:`)
    return lines.join('\n')
  },
  'huge value': (text, r) => {
    const huge = r.pick(['x'.repeat(1 << 20), '9'.repeat(5000), `/${'a/'.repeat(20000)}`, '[' .repeat(2000) + ']'.repeat(2000), '{a: '.repeat(500) + '1' + '}'.repeat(500)])
    return text.replace(r.pick(['gv0', '/data/brick1/gv0', '10.0.0.1', '22', 's3cret', 'root']), huge)
  },
  'indentation shift': (text, r) => {
    const lines = text.split('\n')
    const i = r.int(lines.length)
    lines[i] = r.pick(['', ' ', '   ', '\t']) + lines[i]!.trimStart()
    return lines.join('\n')
  },
  'alias bomb': () => `a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\nall: {vars: {x: [*d, *d, *d, *d, *d, *d, *d, *d, *d]}}\n`,
}

const cases = 600
const perCaseMs = 2000

test(`${cases} mutated inventories: each loads or fails with an InventoryError, each within ${perCaseMs} ms`, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gfs-fuzz-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const r = random(0x6f55)
  const names = Object.keys(mutations)
  let loaded = 0
  let refused = 0
  let slowest = 0
  for (let i = 0; i < cases; i++) {
    const kind = names[i % names.length]!
    let text: string | Buffer = base
    for (let k = 0, n = 1 + r.int(2); k < n; k++) text = mutations[kind]!(text.toString(), r)
    const caseDir = join(dir, String(i))
    await mkdir(join(caseDir, 'group_vars'), { recursive: true })
    await writeFile(join(caseDir, 'inv.yaml'), text)
    if (i % 5 === 0) await writeFile(join(caseDir, 'group_vars', 'all.yaml'), mutations['type swap']!('flush:\n  settle_seconds: 5\nvolume: gv0\n', r))
    const started = performance.now()
    try {
      await loadInventory(join(caseDir, 'inv.yaml'), { cwd: caseDir, inventoryDir: caseDir, homeDir: '/home/tester' })
      loaded++
    } catch (error) {
      if (!(error instanceof InventoryError)) {
        t.fail(`case ${i} (${kind}) threw ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}\n--- input ---\n${text.toString().slice(0, 400)}`)
        return
      }
      t.notRegex(error.message, /\n\s+at /, `case ${i}: no stack trace in the message`)
      refused++
    }
    const ms = performance.now() - started
    slowest = Math.max(slowest, ms)
    if (ms > perCaseMs) t.fail(`case ${i} (${kind}) took ${Math.round(ms)} ms`)
  }
  t.log(`${loaded} loaded, ${refused} refused with InventoryError, slowest ${Math.round(slowest)} ms`)
  t.true(loaded > 0 && refused > 0, 'the mutations reach both outcomes')
})

const oddNames = [
  'new\nline',
  "quote's \"double\"",
  '$(touch /tmp/gfs-fuzz-pwned)',
  '`touch /tmp/gfs-fuzz-pwned`',
  '; rm -rf / #',
  '-rf',
  '--',
  '*',
  '~root',
  'a'.repeat(255),
  'ü文件🎉\u202e',
  ' leading and trailing ',
  '\\backslash\\',
  '!history',
  '%s%n',
]

/** Names that are valid on Linux (no '/' or NUL): seeded random bytes, invalid UTF-8 included. */
function randomNames(count: number): Buffer[] {
  const r = random(0x0dd)
  return Array.from({ length: count }, () => {
    const length = 1 + r.int(255)
    const bytes = Buffer.alloc(length)
    for (let i = 0; i < length; i++) {
      let b = 1 + r.int(255)
      if (b === 0x2f) b = 0x2e
      bytes[i] = b
    }
    if (bytes.equals(Buffer.from('.')) || bytes.equals(Buffer.from('..'))) return Buffer.from('dot')
    return bytes
  })
}

test('odd names survive the quoting helper through a real shell, as arguments and as file names', async (t) => {
  const shell = localExecutor()
  const dir = await mkdtemp(join(tmpdir(), 'gfs-names-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  for (const name of oddNames) {
    const echoed = await shell.run(sh`printf '%s' ${name}`)
    t.is(echoed.stdout, name, JSON.stringify(name))
    const path = join(dir, name)
    const written = await shell.run(put(path, `content of ${name}`, { mode: 0o600 }))
    t.is(written.exitCode, 0, written.stderr)
    t.is(readFileSync(path, 'utf8'), `content of ${name}`)
    const listed = await shell.run(sh`ls -d -- ${path} >/dev/null && stat -c %a -- ${path}`)
    t.is(listed.stdout.trim(), '600', JSON.stringify(name))
  }
  t.throws(() => readFileSync('/tmp/gfs-fuzz-pwned'), undefined, 'nothing in a name was executed')
})

// Scripts are strings, so bytes that are not UTF-8 cannot reach the quoting helper; the agent handles such
// names as Buffers and is tested with them on a real overlay (test/agent/publish.test.ts, hard-to-quote names).
test('seeded random byte names, read as latin1 text, are quoted into exactly one shell word', async (t) => {
  const shell = localExecutor()
  for (const bytes of randomNames(200)) {
    const name = bytes.toString('latin1')
    const quoted = quote(name)
    t.true(quoted.startsWith("'") || /^[A-Za-z0-9_@%+=:,./-]+$/.test(quoted), quoted)
    const r = await shell.run(sh`printf '%s' ${name} | od -An -v -tx1`)
    const hex = r.stdout.replace(/\s+/g, '')
    t.is(hex, Buffer.from(name, 'utf8').toString('hex'), `name ${bytes.toString('hex')}`)
  }
})
