// Rename order against "one entry never stops the rest" (flush contract 4 and 10): a delete that may be
// the old half of a rename waits for its new half however long that takes; other deletes stop waiting
// behind a stuck new name after HOLD_MAX_MS.
import test from 'ava'
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Agent } from '../../src/agent/core/agent.ts'
import { HOLD_MAX_MS, RenameHalves } from '../../src/agent/core/delete-order.ts'
import type { Clock } from '../../src/agent/core/observations.ts'
import { evictCycle } from '../../src/agent/offline/evict.ts'
import { sandbox, sleep, testAgent, text } from './helpers.ts'

test('rename halves: the same upper inode, or the kind and size of the gv0 entry a delete removes, seen no later than it', (t) => {
  const halves = new RenameHalves([
    { rel: 'b', since: 10, kind: 'f', ino: 7, size: 26 },
    { rel: 'late', since: 50, kind: 'f', ino: 8, size: 99 },
    { rel: 'link', since: 10, kind: 'l', ino: 9, size: 4 },
  ])
  t.is(halves.newHalf(20, { recordedIno: 7 })?.rel, 'b', 'mv inside the cache keeps the inode')
  t.is(halves.newHalf(20, { gv0: { kind: 'f', size: 26 } })?.rel, 'b', 'a copy-up renamed: same size as gv0 had')
  t.is(halves.newHalf(20, { gv0: { kind: 'f', size: 99 } }), null, 'a new name first seen after the delete')
  t.is(halves.newHalf(60, { gv0: { kind: 'f', size: 99 } })?.rel, 'late')
  t.is(halves.newHalf(20, { gv0: { kind: 'l', size: 4 } })?.rel, 'link')
  t.is(halves.newHalf(20, { gv0: { kind: 'f', size: 5 } }), null, 'nothing pending could hold those bytes')
  t.is(halves.newHalf(20, { gv0: { kind: 'd', size: 4096 } }), null)
  t.is(halves.newHalf(20, { gv0: null }), null)
})

test('a rename whose new name stays open for good keeps the old name in gv0 past the hold; other deletes go ahead', async (t) => {
  const sb = await sandbox(t, { settleSeconds: 0.1 })
  let mono = 1_000_000
  const clock: Clock = { mono: () => mono, wall: () => Date.now() }
  const opened = new Agent(sb.cfg, (line) => t.log(line), { clock })
  await opened.open()
  t.teardown(() => opened.close())
  const agent = await testAgent(opened)
  const step = async () => {
    mono += 200
    await agent.rescan()
    await agent.pass()
    agent.saveState()
  }
  mkdirSync(join(sb.union, 'docs'))
  writeFileSync(join(sb.union, 'docs/a.txt'), 'the only copy of this text')
  writeFileSync(join(sb.union, 'docs/old.log'), 'an unrelated file, deleted later')
  for (let i = 0; i < 3; i++) await step()
  t.is(text(join(sb.lower, 'docs/a.txt')), 'the only copy of this text')
  const evicted = await evictCycle(agent)
  t.true(evicted.ok, evicted.message)
  t.false(existsSync(join(sb.upper, 'docs/a.txt')), 'gv0 holds it, the cache does not')
  // mv, and the new name is held open for writing for good (a program that never closes it)
  renameSync(join(sb.union, 'docs/a.txt'), join(sb.union, 'docs/b.txt'))
  const holder = spawn('sh', ['-c', 'exec 3>>"$1"; echo ready; exec sleep 600 3>>"$1"', 'sh', join(sb.union, 'docs/b.txt')])
  t.teardown(() => holder.kill('SIGKILL'))
  await new Promise((r) => holder.stdout.once('data', r))
  await sleep(30)
  rmSync(join(sb.union, 'docs/old.log'))
  for (let i = 0; i < 3; i++) await step()
  t.true(existsSync(join(sb.lower, 'docs/old.log')), 'within the hold every later delete waits')
  mono += HOLD_MAX_MS + 1000
  for (let i = 0; i < 3; i++) await step()
  t.false(existsSync(join(sb.lower, 'docs/old.log')), 'past the hold, a delete nothing pending could carry goes ahead')
  t.false(existsSync(join(sb.lower, 'docs/b.txt')), 'the new name is still open, not published')
  t.is(text(join(sb.lower, 'docs/a.txt')), 'the only copy of this text', 'so gv0 keeps the old name')
  t.regex(agent.pending().reasons.join('; '), /docs\/a\.txt: delete waits until docs\/b\.txt .*however long/)
  holder.kill('SIGKILL')
  await new Promise((r) => (holder.exitCode !== null || holder.signalCode !== null ? r(null) : holder.once('exit', r)))
  for (let i = 0; i < 3; i++) await step()
  t.is(text(join(sb.lower, 'docs/b.txt')), 'the only copy of this text')
  t.false(existsSync(join(sb.lower, 'docs/a.txt')))
})
