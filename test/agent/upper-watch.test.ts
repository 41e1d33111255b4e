// The upper dir's watches (src/agent/watch/watch.ts) against the walk (scan.ts): a directory is watched before
// the walk reads it, so a change made in it after it was read, while the walk goes on, raises an event. Watches
// placed after the walk (as the daemon did before) missed such a change until the next full scan, a minute later.
import test from 'ava'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { toBytes, type Bytes } from '../../src/agent/fs/paths.ts'
import { UpperIndex } from '../../src/agent/watch/scan.ts'
import { UpperWatcher } from '../../src/agent/watch/watch.ts'
import { until } from './helpers.ts'

function tree(t: { teardown(fn: () => void): void }): string {
  const root = mkdtempSync(join(tmpdir(), 'gfswc-watch-'))
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  for (const d of ['a', 'b', 'c']) {
    mkdirSync(join(root, d))
    writeFileSync(join(root, d, 'old'), 'x')
  }
  return root
}

test('a file made in a directory the walk has already read, while the walk goes on, marks that directory dirty', async (t) => {
  const root = tree(t)
  const pokes: number[] = []
  const w = new UpperWatcher(toBytes(root), () => pokes.push(1), () => {})
  t.teardown(() => w.close())
  const index = new UpperIndex(toBytes(root))
  const read: Bytes[] = []
  index.beforeRead = (rel) => {
    w.watch(rel)
    // a user's write into the first subdirectory walked, made once the walk has moved on to the next one
    if (read.length === 2) writeFileSync(join(root, read[1]!, 'new'), 'y')
    read.push(rel)
  }
  await index.fullScan()
  t.is(read.length, 4, 'the root and its three directories')
  const first = read[1]!
  t.false(index.entries.has(`${first}/new`), 'the walk read that directory before the write')
  t.true(await until(() => w.dirty.has(first), 2000), `${first} is marked for a rescan`)
  t.true(pokes.length > 0, 'and the daemon is woken')
  await index.rescanDir(first)
  t.true(index.entries.has(`${first}/new`))
})

test('a directory made after the walk is watched when the next rescan walks it, and changes in it are seen', async (t) => {
  const root = tree(t)
  const w = new UpperWatcher(toBytes(root), () => {}, () => {})
  t.teardown(() => w.close())
  const index = new UpperIndex(toBytes(root))
  index.beforeRead = (rel) => w.watch(rel)
  await index.fullScan()
  mkdirSync(join(root, 'a', 'sub'))
  t.true(await until(() => w.dirty.has('a'), 2000))
  w.dirty.clear()
  await index.rescanDir('a')
  t.is(w.size, 5, 'a/sub is watched')
  writeFileSync(join(root, 'a', 'sub', 'f'), 'z')
  t.true(await until(() => w.dirty.has('a/sub'), 2000))
  // sync drops the watch of a directory that is gone
  rmSync(join(root, 'a', 'sub'), { recursive: true })
  await index.rescanDir('a')
  w.sync(index)
  t.is(w.size, 4)
})
