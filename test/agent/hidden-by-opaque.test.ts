// A directory replaced here (opaque) shows only this host's entries until an evict reopens it: what the
// other host puts in gv0 below it meanwhile is hidden from the union, so a delete here never removes it.
import test, { type ExecutionContext } from 'ava'
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { flushAll, sandbox, sleep, text } from './helpers.ts'
import { reclaim } from '../../src/agent/offline/reclaim.ts'
import { evictCycle } from '../../src/agent/offline/evict.ts'
import { UNAPPLIED } from '../../src/agent/publish/publish-dir.ts'

/** gv0 holds `dir`/old.jpg before the union is mounted; the union and an agent over it. */
async function gv0Holds(t: ExecutionContext, dir: string) {
  const sb = await sandbox(t, {}, { mount: false })
  mkdirSync(join(sb.lower, dir), { recursive: true })
  writeFileSync(join(sb.lower, dir, 'old.jpg'), 'old')
  sb.mount()
  return { sb, agent: await sb.agent() }
}

/** gv0's photos/ replaced here (opaque) with mine.jpg in it, and published: gv0 loses old.jpg and gets mine.jpg. */
async function replacedHere(t: ExecutionContext) {
  const { sb, agent } = await gv0Holds(t, 'photos')
  rmSync(join(sb.union, 'photos'), { recursive: true })
  mkdirSync(join(sb.union, 'photos'))
  writeFileSync(join(sb.union, 'photos/mine.jpg'), 'mine')
  await flushAll(t, agent)
  t.deepEqual(readdirSync(join(sb.lower, 'photos')), ['mine.jpg'])
  return { sb, agent }
}

/**
 * gv0's photos/ replaced here (replacedHere), then the other host adds
 * photos/theirs.jpg, and a dentry drop after it: from then on only the opaque directory hides it from the union.
 */
async function replacedHereThenTheirs(t: ExecutionContext) {
  const { sb, agent } = await replacedHere(t)
  writeFileSync(join(sb.lower, 'photos/theirs.jpg'), 'theirs')
  await sleep(30)
  agent.noteDentryDrop()
  await sleep(30)
  t.false(existsSync(join(sb.union, 'photos/theirs.jpg')), 'the union does not show it')
  return { sb, agent }
}

test('a file the other host made in a directory replaced here survives the delete of that directory', async (t) => {
  const { sb, agent } = await replacedHereThenTheirs(t)
  await flushAll(t, agent) // a walk after the remote file: the delete below is later than both
  rmSync(join(sb.union, 'photos'), { recursive: true })
  await flushAll(t, agent)
  t.is(text(join(sb.lower, 'photos/theirs.jpg')), 'theirs', 'a file the union never showed stays')
  t.false(existsSync(join(sb.lower, 'photos/mine.jpg')), 'what this host published there is deleted')
  t.true(agent.conflicts().some((c) => c.kind === 'delete-kept' && c.path === 'photos/theirs.jpg'))
})

// The same hidden entry, met by a create instead of a delete: the union showed the name free below the
// opaque directory, however long after the other host's file and whatever dentry drops came since.
for (const kind of ['file', 'directory'] as const) {
  test(`a ${kind} made here at the name of a file the other host made in a directory replaced here: theirs stays, mine is a conflict copy`, async (t) => {
    const { sb, agent } = await replacedHereThenTheirs(t)
    if (kind === 'file') writeFileSync(join(sb.union, 'photos/theirs.jpg'), 'mine too')
    else mkdirSync(join(sb.union, 'photos/theirs.jpg'))
    await flushAll(t, agent)
    const names = readdirSync(join(sb.lower, 'photos')).sort()
    const copy = names.find((n) => n.startsWith('theirs.conflict-'))
    t.truthy(copy, `a conflict copy beside the name: ${names.join(', ')}`)
    if (kind === 'file') {
      t.is(text(join(sb.lower, 'photos/theirs.jpg')), 'theirs', 'the other host\'s file is where it was, unchanged')
      t.is(text(join(sb.lower, 'photos', copy!)), 'mine too', 'mine is the conflict copy')
    } else {
      // a directory cannot be a conflict copy: gv0's file is moved aside for it, bytes intact
      t.true(statSync(join(sb.lower, 'photos/theirs.jpg')).isDirectory())
      t.is(text(join(sb.lower, 'photos', copy!)), 'theirs', 'the other host\'s file kept under the conflict name')
    }
  })
}

/**
 * photos/ replaced here and published (gv0: mine.jpg only), then its record as if the replacement's own apply
 * had not reached the state yet (a crash between the two saves) and the directory changed since: pending again.
 */
async function replacementNotRecorded(t: ExecutionContext, pending = true) {
  const { sb, agent } = await replacedHere(t)
  const rec = agent.record('photos')!
  t.true(rec.opaqueDone, 'the replacement was applied')
  agent.setRecord('photos', { ...rec, opaqueDone: undefined, ...(pending ? { ctimeMs: UNAPPLIED } : {}) })
  return { sb, agent }
}

test('an evict keeps what was published below a replaced directory whose replacement is not recorded as applied', async (t) => {
  const { sb, agent } = await replacementNotRecorded(t)
  sb.umount()
  await reclaim(agent)
  t.true(existsSync(join(sb.upper, 'photos/mine.jpg')), 'kept in upper: without it the opaque directory would show nothing')
  sb.mount()
  t.is(text(join(sb.union, 'photos/mine.jpg')), 'mine')
  await flushAll(t, agent)
  t.true(agent.record('photos')?.opaqueDone, 'the replacement is applied again')
  t.is(text(join(sb.lower, 'photos/mine.jpg')), 'mine', "gv0 keeps this host's file")
  const r = await evictCycle(agent)
  t.true(r.ok, JSON.stringify(r))
  t.false(existsSync(join(sb.upper, 'photos/mine.jpg')), 'reclaimed once the replacement is applied')
  t.is(text(join(sb.union, 'photos/mine.jpg')), 'mine')
})

test("a replacement applied again spares what this host published there since, though upper no longer holds it", async (t) => {
  const { sb, agent } = await replacementNotRecorded(t)
  // an evict of an earlier version reclaimed the file (before the directory's replacement was recorded): marked, then removed
  sb.umount()
  agent.setRecord('photos/mine.jpg', { ...agent.record('photos/mine.jpg')!, reclaimed: true })
  rmSync(join(sb.upper, 'photos/mine.jpg'))
  sb.mount()
  await agent.rescan()
  await flushAll(t, agent)
  t.true(agent.record('photos')?.opaqueDone, 'the replacement is applied again')
  t.is(text(join(sb.lower, 'photos/mine.jpg')), 'mine', "gv0 keeps the file this host published into the new directory")
})

test('a replacement recorded as published but not as applied (an older agent) is applied at the next evict, which then reclaims below it', async (t) => {
  const { sb, agent } = await replacementNotRecorded(t, false)
  t.is(agent.pending().entries, 0, 'nothing pending: the directory counts as published')
  const first = await evictCycle(agent)
  t.true(first.ok, JSON.stringify(first))
  t.true(existsSync(join(sb.upper, 'photos/mine.jpg')), 'kept while the replacement is not applied')
  await flushAll(t, agent)
  t.true(agent.record('photos')?.opaqueDone, 'the replacement is applied')
  const second = await evictCycle(agent)
  t.true(second.ok, JSON.stringify(second))
  t.false(existsSync(join(sb.upper, 'photos/mine.jpg')), 'reclaimed')
  t.is(text(join(sb.lower, 'photos/mine.jpg')), 'mine')
  t.is(text(join(sb.union, 'photos/mine.jpg')), 'mine')
})

// A directory deleted here and later made again: the union showed none of gv0's directory from the delete
// on, not from the new directory's making. What the other host put there in between was never seen.
test('a directory deleted here, then made again: what the other host put there in between stays', async (t) => {
  const { sb, agent } = await gv0Holds(t, 'photos')
  rmSync(join(sb.union, 'photos'), { recursive: true })
  await flushAll(t, agent)
  t.false(existsSync(join(sb.lower, 'photos')), 'the delete reached gv0')
  // the other host makes the directory again with a file of its own
  mkdirSync(join(sb.lower, 'photos'))
  writeFileSync(join(sb.lower, 'photos/theirs.jpg'), 'theirs')
  await sleep(30)
  agent.noteDentryDrop()
  await sleep(30)
  mkdirSync(join(sb.union, 'photos'))
  writeFileSync(join(sb.union, 'photos/mine.jpg'), 'mine')
  await flushAll(t, agent)
  t.is(text(join(sb.lower, 'photos/theirs.jpg')), 'theirs', 'a file the union never showed stays')
  t.is(text(join(sb.lower, 'photos/mine.jpg')), 'mine')
})

test('a directory deleted and made again between two walks: what the other host put there in between stays', async (t) => {
  const { sb, agent } = await gv0Holds(t, 'photos')
  await flushAll(t, agent) // a walk: the union showed gv0's photos/ then
  await sleep(30)
  rmSync(join(sb.union, 'photos'), { recursive: true })
  writeFileSync(join(sb.lower, 'photos/theirs.jpg'), 'theirs')
  await sleep(30)
  agent.noteDentryDrop() // no stale dentry hid it: the delete did
  await sleep(30)
  mkdirSync(join(sb.union, 'photos'))
  writeFileSync(join(sb.union, 'photos/mine.jpg'), 'mine')
  await flushAll(t, agent)
  t.is(text(join(sb.lower, 'photos/theirs.jpg')), 'theirs', 'a file the union never showed stays')
  t.false(existsSync(join(sb.lower, 'photos/old.jpg')), 'the file the union showed goes')
  t.is(text(join(sb.lower, 'photos/mine.jpg')), 'mine')
})

// The names that left upper with a deleted directory are removed from gv0 with the delete above them, not
// before it: the record of a directory replaced here below it says the union showed none of gv0's entries
// there, and the delete, applied after that record was gone, judged them by time alone.
test('a directory replaced here, then its parent deleted: what the other host put in it stays', async (t) => {
  const { sb, agent } = await gv0Holds(t, 'album/photos')
  rmSync(join(sb.union, 'album/photos'), { recursive: true })
  mkdirSync(join(sb.union, 'album/photos'))
  writeFileSync(join(sb.union, 'album/photos/mine.jpg'), 'mine')
  await flushAll(t, agent)
  t.deepEqual(readdirSync(join(sb.lower, 'album/photos')), ['mine.jpg'])
  writeFileSync(join(sb.lower, 'album/photos/theirs.jpg'), 'theirs')
  await sleep(30)
  agent.noteDentryDrop()
  await sleep(30)
  await flushAll(t, agent) // a walk after theirs.jpg: the delete below is later than both
  rmSync(join(sb.union, 'album'), { recursive: true })
  // a pass before the delete is quiet: the names below it must wait for it
  await agent.rescan()
  const first = await agent.pass({ settleMs: 60_000 })
  t.is(first.deleted, 0, 'nothing below the delete went before it')
  await flushAll(t, agent)
  t.is(text(join(sb.lower, 'album/photos/theirs.jpg')), 'theirs', 'a file the union never showed stays')
  t.false(existsSync(join(sb.lower, 'album/photos/mine.jpg')), 'what this host published there goes')
})
