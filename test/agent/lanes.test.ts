// Dealing names over the drain mounts (src/agent/core/lanes.ts): a free slot on any lane takes the next name,
// a name a lane worked on lately waits for that lane, no lane runs more than its share at once.
import test from 'ava'
import { dealOverLanes, LANE_LEASE_MS, LaneLeases } from '../../src/agent/core/lanes.ts'
import type { Clock } from '../../src/agent/core/observations.ts'
import { toBytes } from '../../src/agent/fs/paths.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function manualClock(): Clock & { t: number } {
  const c = { t: 1000, mono: () => c.t, wall: () => c.t }
  return c
}

test('a slow lane does not hold the batch: the free lanes take the names it would have had', async (t) => {
  const items = Array.from({ length: 40 }, (_, i) => i)
  const done = new Map<string, number[]>([['slow', []], ['fast', []]])
  await dealOverLanes(items, ['slow', 'fast'], 2, () => undefined, async (i, lane) => {
    await sleep(lane === 'slow' ? 40 : 2)
    done.get(lane)!.push(i)
    return true
  })
  const all = [...done.get('slow')!, ...done.get('fast')!].sort((a, b) => a - b)
  t.deepEqual(all, items, 'every item once')
  t.true(done.get('fast')!.length > done.get('slow')!.length * 3, `fast ${done.get('fast')!.length}, slow ${done.get('slow')!.length}`)
})

test('pinned items go through their lane only; no lane runs more than its slots at once', async (t) => {
  const items = Array.from({ length: 60 }, (_, i) => i)
  const pinned = (i: number) => (i % 3 === 0 ? 'a' : undefined)
  const inFlight = new Map<string, number>()
  let most = 0
  const where = new Map<number, string>()
  await dealOverLanes(items, ['a', 'b', 'c'], 3, pinned, async (i, lane) => {
    const n = (inFlight.get(lane) ?? 0) + 1
    inFlight.set(lane, n)
    most = Math.max(most, n)
    await sleep(1 + (i % 4))
    inFlight.set(lane, n - 1)
    where.set(i, lane)
    return true
  })
  t.is(where.size, 60)
  for (const [i, lane] of where) if (i % 3 === 0) t.is(lane, 'a', `item ${i}`)
  t.is(most, 3)
})

test('a false answer stops every lane after the items already in flight', async (t) => {
  const started: number[] = []
  await dealOverLanes(Array.from({ length: 100 }, (_, i) => i), ['a', 'b'], 2, () => undefined, async (i) => {
    started.push(i)
    await sleep(5)
    return i !== 1
  })
  t.true(started.length < 10, `started ${started.length}`)
})

test('a lease keeps a name on its mount for LANE_LEASE_MS after the last operation, and only while that mount is usable', (t) => {
  const clock = manualClock()
  const leases = new LaneLeases(clock)
  const a = { lower: toBytes('/run/d/1') }
  const b = { lower: toBytes('/run/d/2') }
  const rel = toBytes('dir/f')
  t.is(leases.pinned(rel, [a, b]), undefined)
  leases.note(rel, b)
  t.is(leases.pinned(rel, [a, b]), b)
  t.is(leases.laneFor(rel, [a, b]), b)
  t.is(leases.pinned(rel, [a]), undefined, 'its mount left the usable set')
  clock.t += LANE_LEASE_MS - 1
  t.is(leases.pinned(rel, [a, b]), b)
  leases.note(rel, b)
  clock.t += LANE_LEASE_MS - 1
  t.is(leases.pinned(rel, [a, b]), b, 'renewed by the second operation')
  clock.t += 1
  t.is(leases.pinned(rel, [a, b]), undefined, 'expired')
  leases.note(toBytes('x'), a)
  leases.note(toBytes('y'), a)
  clock.t += LANE_LEASE_MS
  leases.note(toBytes('z'), a)
  leases.prune()
  t.is(leases.size, 1)
})
