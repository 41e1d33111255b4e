// A mount that never answers (a gluster client hung in its crash handler, or stopped) costs a probe its
// deadline once; later probes answer at once and send nothing new until the first one returns.
import test from 'ava'
import { knownProblem, probe, probeCalls, waitingProbes } from '../../src/agent/fs/answer-probe.ts'

test.serial('a probe that gets no answer says so at its deadline, and the mount is not asked again while it waits', async (t) => {
  const original = { ...probeCalls }
  let calls = 0
  let answer!: (v: unknown) => void
  let fail!: (e: Error) => void
  probeCalls.statfs = () => {
    calls++
    return new Promise((resolve, reject) => {
      answer = resolve as (v: unknown) => void
      fail = reject
    })
  }
  try {
    let clock = 1_000_000
    const now = () => clock
    const first = probe('/hung', 'statfs', 50, () => clock)
    t.deepEqual(await first, { ok: false, code: 'no answer in 0 s' })
    t.is(calls, 1)
    t.deepEqual(waitingProbes(), ['statfs:/hung'])
    clock += 20_000
    // past its deadline: answered at once, nothing new sent
    const started = Date.now()
    t.deepEqual(await probe('/hung', 'statfs', 15_000, now), { ok: false, code: 'no answer in 20 s' })
    t.true(Date.now() - started < 40)
    t.is(calls, 1)
    t.is(knownProblem('/hung', 'statfs', 15_000, now), 'no answer in 20 s')
    // the client is killed: the waiting call fails, and the next probe asks again
    fail(Object.assign(new Error('gone'), { code: 'ENOTCONN' }))
    await new Promise((r) => setTimeout(r, 5))
    t.deepEqual(waitingProbes(), [])
    t.is(knownProblem('/hung', 'statfs', 15_000, now), 'ENOTCONN')
    const again = probe('/hung', 'statfs', 1000, now)
    t.is(calls, 2)
    answer(undefined)
    t.deepEqual(await again, { ok: true })
    t.is(knownProblem('/hung', 'statfs', 15_000, now), null)
  } finally {
    Object.assign(probeCalls, original)
  }
})

test.serial('a real directory answers with its stats', async (t) => {
  const a = await probe('/tmp', 'stat', 5000)
  t.true(a.ok && a.stats!.isDirectory())
  t.deepEqual(await probe('/nonexistent-gfs-probe', 'statfs', 5000), { ok: false, code: 'ENOENT' })
})
