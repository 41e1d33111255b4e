// The model's oracle on its own: what it accepts after a local delete that overlayfs made without a
// whiteout, so that the union showed gv0's copy again (seen in the lab: `rmdir b` succeeded, `b` still
// listed, and the agent then removed it from gv0 as the user asked).
import test from 'ava'
import type { State } from './model/fsops.ts'
import { Model } from './model/model.ts'

const dir: State = { t: 'd', mode: 0o755 }
const absent: State = { t: 'absent' }
const file = (data: string): State => ({ t: 'f', data, mode: 0o644, x: '' })

/** mkdir b, then an rmdir that succeeded while the union still showed gv0's b. */
function staleRmdir(): Model {
  const m = new Model({})
  m.apply('local', { b: absent }, { b: dir })
  m.apply('local', { b: dir }, { b: dir })
  m.deletedBehindStaleView('b', dir)
  return m
}

test('a delete the union did not show taken: gv0 may keep the copy shown, or apply the delete', (t) => {
  t.deepEqual(staleRmdir().check({}, {}, {}), [])
  t.deepEqual(staleRmdir().check({ b: dir }, { b: dir }, {}), [])
})

test('after such a delete, gv0 must not hold anything else at the name', (t) => {
  const v = staleRmdir().check({ b: { t: 'd', mode: 0o700 } }, { b: { t: 'd', mode: 0o700 } }, {})
  t.true(v.some((l) => l.startsWith('b: gv0 has d:700')), v.join('\n'))
})

test('a later local change at the name ends the allowance: the old copy in gv0 is then a lost update', (t) => {
  const m = new Model({})
  m.apply('local', { y: absent }, { y: file('L1\n') })
  m.deletedBehindStaleView('y', file('L1\n'))
  m.apply('local', { y: file('L1\n') }, { y: file('L2\n') })
  const v = m.check({ y: file('L1\n') }, { y: file('L1\n') }, {})
  t.true(v.some((l) => l.startsWith('y: gv0 has f:644::"L1\\n", expected f:644::"L2\\n"')), v.join('\n'))
})
