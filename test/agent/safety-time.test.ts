// Time is the agent's own (flush contract 11): deletes timed by the agent's observation, not by the
// whiteouts' shared inode; future mtimes; backoff on an injected monotonic clock; writers looked at
// again right before the copy; a rename's delete after its new name.
import test, { type ExecutionContext } from 'ava'
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { existsSync, mkdirSync, renameSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Agent } from '../../src/agent/core/agent.ts'
import { evictCycle } from '../../src/agent/offline/evict.ts'
import type { Clock } from '../../src/agent/core/observations.ts'
import { flushAll, onCleanup, sandbox, sleep, testAgent, text, type Sandbox, type TestAgent, userNames } from './helpers.ts'

/** A monotonic clock the test moves by hand; wall time stays real (gv0's times are real). */
function manualClock(): Clock & { advance(ms: number): void } {
  let t = 1_000_000
  return { mono: () => t, wall: () => Date.now(), advance: (ms) => (t += ms) }
}

async function agentWith(t: ExecutionContext, sb: Sandbox, clock?: Clock): Promise<TestAgent> {
  const a = new Agent(sb.cfg, (line) => t.log(line), { clock })
  await a.open()
  t.teardown(() => a.close())
  return testAgent(a)
}

/** One daemon-like step: look at upper again, then a pass. */
async function step(agent: TestAgent, settleMs?: number) {
  await agent.rescan()
  const sum = await agent.pass({ settleMs })
  agent.saveState()
  return sum
}

/** A child that opens `path` for writing (truncating), writes `first`, says ready, and on stdin's end writes `rest` and closes. */
async function slowWriter(path: string, first: string, rest: string, mode: 'w' | 'a' = 'w'): Promise<{ child: ChildProcessWithoutNullStreams; exited: Promise<unknown> }> {
  const code = `
import sys
f = open(sys.argv[1], sys.argv[4])
f.write(sys.argv[2]); f.flush()
print('ready', flush=True)
sys.stdin.read()
f.write(sys.argv[3]); f.close()
`
  const child = spawn('python3', ['-c', code, path, first, rest, mode])
  const exited = new Promise((r) => child.on('exit', r))
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve())
    child.once('exit', (c) => reject(new Error(`writer exited with ${c}`)))
  })
  return { child, exited }
}

test('steady deletes elsewhere do not stop a delete from settling', async (t) => {
  const sb = await sandbox(t, { settleSeconds: 1 }, { mount: false })
  mkdirSync(join(sb.lower, 'a'))
  mkdirSync(join(sb.lower, 'b'))
  writeFileSync(join(sb.lower, 'a/victim'), 'old')
  for (let i = 0; i < 200; i++) writeFileSync(join(sb.lower, `b/${i}`), `${i}`)
  sb.mount()
  const agent = await agentWith(t, sb)
  unlinkSync(join(sb.union, 'a/victim'))
  // a delete every 25 ms elsewhere: each moves the ctime of every whiteout (they are one inode)
  let n = 0
  const deleting = setInterval(() => n < 200 && unlinkSync(join(sb.union, `b/${n++}`)), 25)
  t.teardown(() => clearInterval(deleting))
  const until = Date.now() + 3500
  while (Date.now() < until && existsSync(join(sb.lower, 'a/victim'))) {
    await step(agent)
    await sleep(100)
  }
  clearInterval(deleting)
  t.true(n < 200, 'deletes went on all along')
  t.false(existsSync(join(sb.lower, 'a/victim')), 'the delete settled and reached gv0 while other deletes went on')
})

test('a file the other host created after the local delete is kept, not deleted (also across a restart)', async (t) => {
  const sb = await sandbox(t, { settleSeconds: 0.3 }, { mount: false })
  mkdirSync(join(sb.lower, 'shared'))
  writeFileSync(join(sb.lower, 'shared/doc'), 'v1 from plexus')
  writeFileSync(join(sb.lower, 'shared/old'), 'untouched since')
  writeFileSync(join(sb.lower, 'shared/later'), 'v1 from plexus')
  writeFileSync(join(sb.lower, 'other'), 'x')
  writeFileSync(join(sb.lower, 'other2'), 'x')
  writeFileSync(join(sb.lower, 'stale'), 'from plexus, long ago')
  sb.mount()
  const agent = await agentWith(t, sb)
  await sleep(20)
  unlinkSync(join(sb.union, 'shared/doc'))
  unlinkSync(join(sb.union, 'shared/old'))
  await sleep(20)
  // plexus replaces the file after this host deleted it
  rmSync(join(sb.lower, 'shared/doc'))
  writeFileSync(join(sb.lower, 'shared/doc'), 'v2 from plexus, made after the delete')
  await sleep(20)
  // any later delete moves the ctime of every whiteout past plexus's change
  unlinkSync(join(sb.union, 'other'))
  await step(agent)
  await sleep(350)
  await step(agent)
  t.is(text(join(sb.lower, 'shared/doc')), 'v2 from plexus, made after the delete', 'the remote file is kept')
  t.false(existsSync(join(sb.lower, 'shared/old')), 'a file unchanged in gv0 is deleted')
  t.true(
    agent.conflicts().some((c) => c.kind === 'delete-kept' && c.path === 'shared/doc'),
    'the kept delete is reported',
  )

  // the same across a restart: the delete is seen by one agent and applied by the next one
  unlinkSync(join(sb.union, 'shared/later'))
  unlinkSync(join(sb.union, 'stale'))
  await sleep(20)
  await step(agent, 60_000) // seen, still settling; when they happened goes to disk with the state
  t.true(existsSync(join(sb.lower, 'shared/later')))
  rmSync(join(sb.lower, 'shared/later'))
  writeFileSync(join(sb.lower, 'shared/later'), 'v2 from plexus, made after the delete')
  await sleep(20)
  unlinkSync(join(sb.union, 'other2'))
  const next = await agentWith(t, sb)
  await step(next, 60_000) // the new agent's settle time starts with its own first look
  await sleep(350)
  await step(next)
  t.is(text(join(sb.lower, 'shared/later')), 'v2 from plexus, made after the delete', 'kept after a restart too')
  t.true(next.conflicts().some((c) => c.kind === 'delete-kept' && c.path === 'shared/later'))
  t.false(existsSync(join(sb.lower, 'other2')), 'deletes without a remote change still reach gv0 after the restart')
  t.false(existsSync(join(sb.lower, 'stale')), 'a delete seen before the restart keeps its time: not taken for a later one')
  t.false(next.conflicts().some((c) => c.path === 'stale' || c.path === 'other2'), 'no conflict for those')
})

test('a file with a future mtime (tar, cp -p, a clock stepped back) is published by a pass and by evict', async (t) => {
  const sb = await sandbox(t, { settleSeconds: 0.2 })
  const agent = await agentWith(t, sb)
  const future = Date.now() / 1000 + 86_400
  writeFileSync(join(sb.union, 'unpacked.txt'), 'from a tarball made on a fast clock')
  utimesSync(join(sb.union, 'unpacked.txt'), future, future)
  await flushAll(t, agent, 5000)
  t.is(text(join(sb.lower, 'unpacked.txt')), 'from a tarball made on a fast clock')

  writeFileSync(join(sb.union, 'evicted.txt'), 'also in the future')
  utimesSync(join(sb.union, 'evicted.txt'), future, future)
  const r = await evictCycle(agent)
  t.true(r.ok, r.message)
  t.is(text(join(sb.lower, 'evicted.txt')), 'also in the future')
  t.false(existsSync(join(sb.upper, 'evicted.txt')), 'published, so evict reclaimed it')
  t.is(text(join(sb.union, 'evicted.txt')), 'also in the future')
})

test('backoff deadlines run on the injected monotonic clock, not the wall clock; gv0 that did not answer is looked at again at once', async (t) => {
  const sb = await sandbox(t, { requireLowerMount: true, retryMaxSeconds: 60 })
  const clock = manualClock()
  const agent = await agentWith(t, sb, clock)
  writeFileSync(join(sb.union, 'one'), '1')
  await agent.rescan()
  const first = await agent.pass({ settleMs: 0 })
  t.regex(first.blocked ?? '', /not mounted/)
  t.regex((await agent.status()).errors.map((e) => e.message).join('; '), /not mounted/)
  // gv0 is mounted again, read-only: the next pass looks at once (the clock has not moved) and meets the refusal
  execFileSync('mount', ['--bind', sb.lower, sb.lower])
  onCleanup(sb, () => execFileSync('umount', [sb.lower]))
  execFileSync('mount', ['-o', 'remount,ro,bind', sb.lower])
  const refused = await agent.pass({ settleMs: 0 })
  t.regex(refused.blocked ?? '', /not taking writes/)
  t.notRegex((await agent.status()).errors.map((e) => e.message).join('; '), /not mounted/, 'status no longer says unmounted')
  // refused writes back off on the agent's clock: the second failure waits 1000 ms of it
  execFileSync('mount', ['-o', 'remount,rw,bind', sb.lower])
  await sleep(800)
  const early = await agent.pass({ settleMs: 0 })
  t.truthy(early.blocked, 'still backing off: the agent clock has not moved')
  t.false(existsSync(join(sb.lower, 'one')))
  clock.advance(999)
  t.truthy((await agent.pass({ settleMs: 0 })).blocked)
  clock.advance(1)
  const due = await agent.pass({ settleMs: 0 })
  t.is(due.blocked, null)
  t.is(text(join(sb.lower, 'one')), '1')

  // one entry's backoff: its gv0 directory refuses new names (immutable) until the test lifts that
  mkdirSync(join(sb.union, 'dir'))
  await agent.rescan()
  await agent.pass({ settleMs: 0 })
  t.true(existsSync(join(sb.lower, 'dir')))
  execFileSync('chattr', ['+i', join(sb.lower, 'dir')])
  onCleanup(sb, () => execFileSync('chattr', ['-i', join(sb.lower, 'dir')]))
  writeFileSync(join(sb.union, 'dir/two'), '2')
  await agent.rescan()
  const failed = await agent.pass({ settleMs: 0 })
  t.is(failed.failed, 1)
  execFileSync('chattr', ['-i', join(sb.lower, 'dir')])
  await sleep(800)
  await agent.rescan()
  const waiting = await agent.pass({ settleMs: 0 })
  t.is(waiting.skipped, 1, 'retried only when due on the agent clock')
  t.false(existsSync(join(sb.lower, 'dir/two')))
  t.regex(agent.pending().reasons.join('; '), /dir\/two: retrying later/)
  clock.advance(500)
  await agent.pass({ settleMs: 0 })
  t.is(text(join(sb.lower, 'dir/two')), '2')
})

for (const settleMs of [150, 0]) {
  test(`a writer that opens a file after the pass looked at /proc is not published half-written (settle ${settleMs} ms)`, async (t) => {
    t.timeout(120_000) // hundreds of fsyncs, on a busy machine
    const sb = await sandbox(t, { settleSeconds: settleMs / 1000, publishConcurrency: 1 })
    const agent = await agentWith(t, sb)
    // a long first level (many files, each copied and fsynced), then the file at the second level
    const makeBulk = () => {
      for (let i = 0; i < 200; i++) writeFileSync(join(sb.union, `bulk-${i}`), Buffer.alloc(16 * 1024, i))
    }
    mkdirSync(join(sb.union, 'late'))
    writeFileSync(join(sb.union, 'late/f'), 'old version, closed')
    if (settleMs > 0) makeBulk()
    await step(agent, settleMs > 0 ? 60_000 : 0) // sees everything (with no settle time, publishes it)
    if (settleMs === 0) {
      makeBulk()
      writeFileSync(join(sb.union, 'late/f'), 'old version 2, closed')
    }
    await sleep(settleMs + 50)
    await agent.rescan()
    const published = () => userNames(sb.lower).filter((n) => n.startsWith('bulk-')).length
    t.is(published(), 0)
    let done = false
    const passing = agent.pass().finally(() => (done = true))
    // the pass has walked /proc and is copying the first level
    while (!done && published() === 0) await sleep(2)
    const w = await slowWriter(join(sb.union, 'late/f'), 'first half of the new version|', 'second half')
    t.teardown(() => w.child.kill())
    t.false(done, 'the writer opened while the pass was still at its first level (else this test proves nothing)')
    await passing
    const gv0 = existsSync(join(sb.lower, 'late/f')) ? text(join(sb.lower, 'late/f')) : null
    t.not(gv0, 'first half of the new version|', 'never published half-written')
    w.child.stdin.end()
    await w.exited
    await flushAll(t, agent)
    t.is(text(join(sb.lower, 'late/f')), 'first half of the new version|second half')
  })
}

test('rename: the old name is not deleted in gv0 before the new name is there', async (t) => {
  const sb = await sandbox(t, { settleSeconds: 0.1 })
  const agent = await agentWith(t, sb)
  mkdirSync(join(sb.union, 'docs'))
  writeFileSync(join(sb.union, 'docs/a.txt'), 'the only copy of this text')
  await flushAll(t, agent)
  const evicted = await evictCycle(agent)
  t.true(evicted.ok, evicted.message)
  t.false(existsSync(join(sb.upper, 'docs/a.txt')), 'gv0 holds it, the cache does not')
  // mv: copy-up under the new name plus a whiteout; the new name stays open for writing a while
  renameSync(join(sb.union, 'docs/a.txt'), join(sb.union, 'docs/b.txt'))
  const w = await slowWriter(join(sb.union, 'docs/b.txt'), '', ' (appended)', 'a')
  t.teardown(() => w.child.kill())
  for (let i = 0; i < 4; i++) {
    await sleep(150)
    await step(agent)
  }
  t.false(existsSync(join(sb.lower, 'docs/b.txt')), 'the new name is busy, not published')
  t.is(text(join(sb.lower, 'docs/a.txt')), 'the only copy of this text', 'so the old name stays in gv0 meanwhile')
  t.regex(agent.pending().reasons.join('; '), /docs\/a\.txt: delete waits until docs\/b\.txt/)
  w.child.stdin.end()
  await w.exited
  await flushAll(t, agent)
  t.is(text(join(sb.lower, 'docs/b.txt')), 'the only copy of this text (appended)')
  t.false(existsSync(join(sb.lower, 'docs/a.txt')))
})
