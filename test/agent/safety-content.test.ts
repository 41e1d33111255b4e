// What the union showed decides what a local change may replace in gv0. A delete replaces only the
// version the union last showed at that name, and a file counts as published only when gv0 holds its
// bytes, not merely its size and mtime. The other host is simulated by writing to the lower dir.
import test from 'ava'
import { appendFileSync, chmodSync, existsSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { flushAll, sandbox, sleep, text } from './helpers.ts'

const reported = (agent: { state: { conflicts: { kind: string; path: string }[] } }) =>
  agent.state.conflicts.map((c) => `${c.kind} ${c.path}`).sort()

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
  await agent.index.fullScan()
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

test('a local delete keeps a remote change made after the copy-up was published', async (t) => {
  const sb = await sandbox(t)
  writeFileSync(join(sb.lower, 'y'), 'gv0\n')
  const agent = await sb.agent()
  chmodSync(join(sb.union, 'y'), 0o600)
  await flushAll(t, agent)
  t.is(agent.state.get('y')?.k, 'f', 'the copy-up is published (its mode)')
  await sleep(30)
  appendFileSync(join(sb.lower, 'y'), 'theirs\n')
  rmSync(join(sb.union, 'y'))
  await flushAll(t, agent)
  t.is(text(join(sb.lower, 'y')), 'gv0\ntheirs\n')
  t.deepEqual(reported(agent), ['delete-kept y'])
})
