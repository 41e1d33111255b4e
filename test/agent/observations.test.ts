// The agent's own observations as data: what counts as unchanged, and which time a delete gets.
import test from 'ava'
import { mkdtempSync, rmSync } from 'node:fs'
import { deleteHeld, HOLD_MAX_MS, oldestNewName } from '../../src/agent/core/delete-order.ts'
import { Observations, type Clock } from '../../src/agent/core/observations.ts'
import { quiescence } from '../../src/agent/core/quiescence.ts'
import type { UpperEntry } from '../../src/agent/watch/scan.ts'

function clock(): Clock & { advance(ms: number): void } {
  let t = 0
  return { mono: () => t, wall: () => 0, advance: (ms) => (t += ms) }
}

const entry = (rel: string, over: Partial<UpperEntry> = {}): UpperEntry => ({
  rel, kind: 'f', ino: 10, size: 3, mtimeMs: 5, ctimeMs: 5, birthMs: 0, nlink: 1, mode: 0o100644, uid: 0, gid: 0, atimeMs: 0, ...over,
})
const whiteout = (rel: string, over: Partial<UpperEntry> = {}) => entry(rel, { kind: 'w', ino: 77, size: 0, nlink: 9, mode: 0o20000, ...over })
const noWriters = { paths: new Set<string>(), byPath: new Map<string, number[]>(), mapped: new Set<string>() }

function stateDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync('/tmp/gfswc-obs-')
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

test('unchanged means unchanged in the agent\'s own view: a future mtime settles, a whiteout ignores the shared inode\'s ctime', (t) => {
  const c = clock()
  const obs = new Observations(stateDir(t), c)
  const future = entry('tar/x', { mtimeMs: Date.now() + 86_400_000 })
  t.is(obs.see(future), 0)
  c.advance(300)
  t.is(obs.see(future), 300)
  t.deepEqual(quiescence(future, obs.see(future), 300, noWriters), { quiet: true })
  t.is(obs.see({ ...future, size: 4 }), 0, 'a change starts the settle time again')
  const w = whiteout('gone')
  obs.see(w)
  c.advance(200)
  t.is(obs.see({ ...w, ctimeMs: 999, nlink: 12 }), 200, 'other deletes move ctime and link count: not a change of this one')
})

test('a delete is dated by the last complete walk before it was first seen, or by the whiteout inode\'s birth while no walk is known', (t) => {
  const dir = stateDir(t)
  const c = clock()
  const obs = new Observations(dir, c)
  obs.load(1)
  obs.round([whiteout('z')], [], null)
  t.is(obs.deletedAfterMs(whiteout('z', { birthMs: 500 })), 500, 'no walk known yet: the shared inode\'s birth')
  obs.round([], [], 1_000)
  obs.round([whiteout('a')], [], 2_000)
  t.is(obs.deletedAfterMs(whiteout('a')), 1_000, 'absent from the walk that started at 1000')
  obs.round([whiteout('a'), whiteout('b')], [], null) // a walk is running: absence proves nothing yet
  t.is(obs.deletedAfterMs(whiteout('b')), 2_000)
  t.is(obs.deletedAfterMs(whiteout('b', { birthMs: 2_500 })), 2_000, 'a walk is known: a copy-up it missed may predate the shared inode')
  obs.save()
  // a restart: seen deletes keep their dates, new ones get the last saved bound
  const next = new Observations(dir, c)
  next.load(1)
  next.round([whiteout('a'), whiteout('b'), whiteout('c')], [], 3_000)
  t.is(next.deletedAfterMs(whiteout('a')), 1_000)
  t.is(next.deletedAfterMs(whiteout('b')), 2_000)
  t.is(next.deletedAfterMs(whiteout('c')), 2_000)
  // another cache dir: nothing known, so any remote change counts as newer
  const other = new Observations(dir, c)
  other.load(2)
  other.round([whiteout('a')], [], 4_000)
  t.is(other.deletedAfterMs(whiteout('a')), 0)
})

test('a delete of a name the agent saw copied up or created is dated no later than that entry\'s birth, across a restart', (t) => {
  const dir = stateDir(t)
  const c = clock()
  const obs = new Observations(dir, c)
  obs.load(1)
  obs.round([], [], 1_000)
  const recorded = (rel: string) => rel === 'pub'
  obs.round([entry('y', { birthMs: 1_500 }), entry('pub', { birthMs: 1_200 })], [], 2_000, recorded)
  t.true(obs.dirty, 'what the union showed is saved')
  obs.save()
  const next = new Observations(dir, c)
  next.load(1)
  next.round([whiteout('y'), whiteout('pub'), whiteout('new')], [], 3_000, recorded)
  t.is(next.deletedAfterMs(whiteout('y', { birthMs: 2_900 })), 1_500, 'the union showed the copy-up from 1500 on, not gv0\'s entry')
  t.is(next.deletedAfterMs(whiteout('pub')), 2_000, 'a recorded name is judged against its record')
  t.is(next.deletedAfterMs(whiteout('new')), 2_000)
  next.round([], [], 4_000)
  next.round([whiteout('y')], [], 5_000)
  t.is(next.deletedAfterMs(whiteout('y')), 4_000, 'gone from upper: forgotten')
})

test('delete order: a delete waits for new names seen no later than it, at most HOLD_MAX_MS', (t) => {
  const oldest = oldestNewName([{ rel: 'b', since: 50 }, { rel: 'c', since: 20 }])
  t.deepEqual(oldest, { rel: 'c', since: 20 })
  t.regex(deleteHeld(20, 30, oldest, String) ?? '', /waits until c/)
  t.is(deleteHeld(19, 30, oldest, String), null, 'seen before every pending new name')
  t.is(deleteHeld(20, 20 + HOLD_MAX_MS, oldest, String), null, 'waited long enough')
  t.is(deleteHeld(20, 30, oldestNewName([]), String), null)
})
