// What status lists of the agent's errors: the newest by when they last happened, and how many there are.
import test from 'ava'
import { ErrorRegistry } from '../../src/agent/core/errors.ts'
import { activeErrors, evaluateHealth } from '../../src/agent/health/verdict.ts'
import { healthDefaults } from '../../src/agent/service/defaults.ts'

test('an error that happens again counts as the newest: a stuck entry stays in the list status shows', (t) => {
  const errors = new ErrorRegistry(() => {})
  errors.noteEntry('stuck', 'stuck: gv0 path is a symbolic link')
  for (let i = 0; i < 25; i++) errors.noteEntry(`old/${i}`, `old/${i}: once`)
  t.false(errors.latest(20).some((e) => e.message.startsWith('stuck:')), 'noted first, pushed out by 25 later ones')
  errors.noteEntry('stuck', 'stuck: gv0 path is a symbolic link')
  const shown = errors.latest(20)
  t.is(shown.length, 20)
  t.is(shown.at(-1)!.message, 'stuck: gv0 path is a symbolic link', 'the retry that failed again is the newest')
  t.is(errors.size, 26, 'every unresolved error is counted, not only those shown')
  t.is(errors.total, 27)
})

test('health counts every unresolved error, also past the 20 the report lists', (t) => {
  const report = { running: true, union: { path: '/u', mounted: true }, lower: { path: '/l', problem: null }, pending: { oldestAgeSeconds: null }, errors: Array.from({ length: 20 }, () => ({})), errorsActive: 31 }
  t.is(activeErrors(report), 31)
  t.is(activeErrors({ errors: [{}, {}] }), 2, 'a report without the count (an older agent): the list is the count')
  const v = evaluateHealth(report, { ...healthDefaults, errorsCritical: 30 })
  t.is(v.state, 'critical')
  t.regex(v.reasons[0].message, /31 unresolved errors \(threshold 30\)/)
})
