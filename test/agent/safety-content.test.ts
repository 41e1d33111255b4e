// What the union showed decides what a local change may replace in gv0. A delete replaces only the
// version the union last showed at that name, and a file counts as published only when gv0 holds its
// bytes, not merely its size and mtime. The other host is simulated by writing to the lower dir.
import test from 'ava'
import { appendFileSync, chmodSync, existsSync, lstatSync, mkdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { evictCycle } from '../../src/agent/offline/evict.ts'
import { flushAll, sandbox, sleep, text } from './helpers.ts'

const reported = (agent: { conflicts(): { kind: string; path: string }[] }) =>
  agent.conflicts().map((c) => `${c.kind} ${c.path}`).sort()

/**
 * gv0 files, copied up here by a chmod, then changed by the other host (`remote`), and only then seen by
 * the agent, which does not publish them yet (still settling): a walk after the remote change.
 */
async function copiedUp(sb: Awaited<ReturnType<typeof sandbox>>, names: string[], remote: () => void) {
  for (const n of names) writeFileSync(join(sb.lower, n), `${n} in gv0\n`)
  const agent = await sb.agent()
  await agent.pass({ settleMs: 60_000 })
  await sleep(30)
  // from now on the union shows the upper copies, not gv0's
  for (const n of names) chmodSync(join(sb.union, n), 0o600)
  await sleep(30)
  remote()
  await sleep(30)
  await agent.rescan()
  await agent.pass({ settleMs: 60_000 })
  agent.saveState()
  return agent
}

test('a local delete keeps a remote change made after the local copy-up', async (t) => {
  const sb = await sandbox(t)
  // the other host changes y in place; the union here still shows the copy made before
  const agent = await copiedUp(sb, ['y', 'plain'], () => appendFileSync(join(sb.lower, 'y'), 'theirs\n'))
  rmSync(join(sb.union, 'y'))
  rmSync(join(sb.union, 'plain'))
  await flushAll(t, agent)
  t.is(text(join(sb.lower, 'y')), 'y in gv0\ntheirs\n', 'the remote change the delete never saw stays')
  t.false(existsSync(join(sb.lower, 'plain')), 'a delete of what the union showed is applied')
  t.deepEqual(reported(agent), ['delete-kept y'])
})

test('a local delete keeps a remote change made after the local copy-up, across an agent restart', async (t) => {
  const sb = await sandbox(t)
  await copiedUp(sb, ['y', 'plain'], () => appendFileSync(join(sb.lower, 'y'), 'theirs\n'))
  const restarted = await sb.agent()
  rmSync(join(sb.union, 'y'))
  rmSync(join(sb.union, 'plain'))
  await flushAll(t, restarted)
  t.is(text(join(sb.lower, 'y')), 'y in gv0\ntheirs\n')
  t.false(existsSync(join(sb.lower, 'plain')))
  t.deepEqual(reported(restarted), ['delete-kept y'])
})

test('removing a directory keeps a remote change made below it after the local copy-up', async (t) => {
  const sb = await sandbox(t)
  mkdirSync(join(sb.lower, 'a'))
  const agent = await sb.agent()
  chmodSync(join(sb.union, 'a'), 0o750) // the directory is published, so it has a record
  await flushAll(t, agent)
  t.truthy(agent.record('a'))
  for (const n of ['y', 'plain']) writeFileSync(join(sb.lower, 'a', n), `${n} in gv0\n`)
  await sleep(30)
  agent.noteDentryDrop() // the daemon's periodic drop: the union shows gv0's entries as they are now
  chmodSync(join(sb.union, 'a/y'), 0o600)
  await sleep(30)
  appendFileSync(join(sb.lower, 'a/y'), 'theirs\n')
  await sleep(30)
  await agent.rescan()
  await agent.pass({ settleMs: 60_000 })
  rmSync(join(sb.union, 'a'), { recursive: true })
  await flushAll(t, agent)
  t.is(text(join(sb.lower, 'a/y')), 'y in gv0\ntheirs\n')
  t.false(existsSync(join(sb.lower, 'a/plain')))
  t.deepEqual(reported(agent), ['delete-kept a/y'])
})

test('a local delete keeps a remote change made after the copy-up was published', async (t) => {
  const sb = await sandbox(t)
  writeFileSync(join(sb.lower, 'y'), 'gv0\n')
  const agent = await sb.agent()
  chmodSync(join(sb.union, 'y'), 0o600)
  await flushAll(t, agent)
  t.is(agent.record('y')?.kind, 'f', 'the copy-up is published (its mode)')
  await sleep(30)
  appendFileSync(join(sb.lower, 'y'), 'theirs\n')
  rmSync(join(sb.union, 'y'))
  await flushAll(t, agent)
  t.is(text(join(sb.lower, 'y')), 'gv0\ntheirs\n')
  t.deepEqual(reported(agent), ['delete-kept y'])
})

/** What cp -p, tar or touch -r leave: new bytes, the old size and the old mtime. */
function rewriteKeepingTimes(path: string, content: string): void {
  const before = statSync(path)
  if (Buffer.byteLength(content) !== before.size) throw new Error('the rewrite must keep the size')
  writeFileSync(path, content)
  utimesSync(path, before.atimeMs / 1000, before.mtimeMs / 1000)
}

test('a local rewrite that keeps size and mtime is published, and survives the evict', async (t) => {
  const sb = await sandbox(t)
  writeFileSync(join(sb.lower, 'gv0.txt'), 'from gv0 ')
  writeFileSync(join(sb.lower, 'old.txt'), 'old format')
  const agent = await sb.agent()
  writeFileSync(join(sb.union, 'mine.txt'), 'version 1')
  writeFileSync(join(sb.union, 'old.txt'), 'published ')
  await flushAll(t, agent)
  t.is(text(join(sb.lower, 'mine.txt')), 'version 1')
  // a record written before digests were kept: the bytes in gv0 decide
  const old = agent.record('old.txt')
  if (old) agent.setRecord('old.txt', { ...old, digest: undefined })
  rewriteKeepingTimes(join(sb.union, 'mine.txt'), 'version 2')
  rewriteKeepingTimes(join(sb.union, 'old.txt'), 'rewritten!')
  // a copy-up (no record at all) rewritten the same way
  rewriteKeepingTimes(join(sb.union, 'gv0.txt'), 'edited ok')
  await flushAll(t, agent)
  t.is(text(join(sb.lower, 'mine.txt')), 'version 2')
  t.is(text(join(sb.lower, 'old.txt')), 'rewritten!')
  t.is(text(join(sb.lower, 'gv0.txt')), 'edited ok')
  const r = await evictCycle(agent)
  t.true(r.ok, r.message)
  t.false(existsSync(join(sb.upper, 'mine.txt')), 'reclaimed')
  t.is(text(join(sb.union, 'mine.txt')), 'version 2', 'the union shows the last local version after the evict')
  t.is(text(join(sb.union, 'old.txt')), 'rewritten!')
  t.is(text(join(sb.union, 'gv0.txt')), 'edited ok')
  t.deepEqual(reported(agent), [])
})

test('a change of metadata only never uploads the file again', async (t) => {
  const sb = await sandbox(t)
  writeFileSync(join(sb.lower, 'gv0.bin'), Buffer.alloc(3 << 20, 7))
  const agent = await sb.agent()
  writeFileSync(join(sb.union, 'mine.bin'), Buffer.alloc(3 << 20, 9))
  await flushAll(t, agent)
  const ino = (n: string) => lstatSync(join(sb.lower, n)).ino
  const before = { mine: ino('mine.bin'), gv0: ino('gv0.bin') }
  chmodSync(join(sb.union, 'mine.bin'), 0o600)
  chmodSync(join(sb.union, 'gv0.bin'), 0o640) // a copy-up: compared with gv0's bytes, not copied
  await flushAll(t, agent)
  t.is(lstatSync(join(sb.lower, 'mine.bin')).mode & 0o777, 0o600)
  t.is(lstatSync(join(sb.lower, 'gv0.bin')).mode & 0o777, 0o640)
  t.deepEqual({ mine: ino('mine.bin'), gv0: ino('gv0.bin') }, before, 'the same gv0 files: no new copy was placed')
  t.truthy(agent.record('gv0.bin')?.digest, 'the copy-up\'s digest is recorded: the next check is a local read')
})
