// The name locks between the two agents, on a local file: two lock sets are two perl processes, so two
// owners, as the two hosts' agents are through gluster.
import test from 'ava'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { GlusterNameLocks, lockOffset } from '../../src/agent/fs/name-locks.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function pair(t: import('ava').ExecutionContext, holdMs: number, waitMs = 5000) {
  const dir = mkdtempSync(join(tmpdir(), 'name-locks-'))
  const file = join(dir, '.gfs-writecache.lock')
  const a = new GlusterNameLocks(file, { holdMs, waitMs })
  const b = new GlusterNameLocks(file, { holdMs, waitMs })
  t.teardown(() => {
    a.close()
    b.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return { a, b }
}

test('a name held by one side waits for the other; other names do not', async (t) => {
  const { a, b } = pair(t, 0)
  const held = await a.hold('docs/report.odt')
  let got = false
  const waiting = b.hold('docs/report.odt').then((h) => {
    got = true
    return h
  })
  await b.hold('docs/other.odt').then((h) => h.release(false))
  await sleep(300)
  t.false(got, 'the same name waits')
  held.release(false)
  ;(await waiting).release(false)
  t.true(got)
})

test('a change keeps the lock held for the hold time; a look without a change lets go at once', async (t) => {
  const { a, b } = pair(t, 1500)
  ;(await a.hold('x')).release(false)
  let began = Date.now()
  ;(await b.hold('x')).release(false)
  t.true(Date.now() - began < 1000, `no change, no hold (${Date.now() - began} ms)`)
  ;(await a.hold('x')).release(true)
  began = Date.now()
  ;(await b.hold('x')).release(false)
  t.true(Date.now() - began >= 1300, `held after a change (${Date.now() - began} ms)`)
})

test('one side may hold a name twice (two names of one offset, or a new change in the hold)', async (t) => {
  const { a, b } = pair(t, 800)
  const one = await a.hold('n')
  const two = await a.hold('n')
  one.release(true)
  two.release(false)
  const began = Date.now()
  ;(await b.hold('n')).release(false)
  t.true(Date.now() - began >= 600, `the hold of the change counts (${Date.now() - began} ms)`)
})

test('a lock held past the wait is an EBUSY error naming the path', async (t) => {
  const { a, b } = pair(t, 0, 400)
  const held = await a.hold('busy.txt')
  const err = await t.throwsAsync(b.hold('busy.txt'))
  t.is((err as NodeJS.ErrnoException).code, 'EBUSY')
  t.regex(err!.message, /busy\.txt: held by the other host/)
  held.release(false)
})

test('locks go when their holder closes, after the hold of its last change', async (t) => {
  const { a, b } = pair(t, 1000)
  ;(await a.hold('c')).release(true)
  a.close()
  const began = Date.now()
  ;(await b.hold('c')).release(false)
  t.true(Date.now() - began >= 800, `the helper kept it for the hold (${Date.now() - began} ms)`)
})

test('an unusable lock file is a clear error', async (t) => {
  const locks = new GlusterNameLocks('/nonexistent-dir/.gfs-writecache.lock', { holdMs: 0, waitMs: 1000 })
  t.teardown(() => locks.close())
  await t.throwsAsync(locks.hold('a'), { message: /cannot open gv0's name lock file \/nonexistent-dir\/\.gfs-writecache\.lock/ })
})

test('the offset of a name is the same everywhere and within off_t', (t) => {
  t.is(lockOffset('a/b.txt'), lockOffset('a/b.txt'))
  t.not(lockOffset('a/b.txt'), lockOffset('a/c.txt'))
  t.true(lockOffset('\xff\xfe') < 2 ** 48)
})
