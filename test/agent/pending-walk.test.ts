// Status while a full walk of upper is under way: the walk yields to the event loop (so the daemon's socket
// answers), and a status read between its steps must not see the part walked so far as all there is.
import test from 'ava'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Backoffs } from '../../src/agent/core/backoff.ts'
import { ErrorRegistry } from '../../src/agent/core/errors.ts'
import { PendingView } from '../../src/agent/core/pending.ts'
import { StateStore } from '../../src/agent/state/state-store.ts'
import { toBytes } from '../../src/agent/fs/paths.ts'
import { UpperIndex } from '../../src/agent/watch/scan.ts'

const clock = { mono: () => performance.now(), wall: () => Date.now() }

test('a status between the steps of a full walk reports the last complete count, not the part walked so far', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gfswc-walk-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const upper = join(dir, 'upper')
  // more entries than a walk handles between two yields (4096), in several directories
  const files = 3 * 2500
  for (let d = 0; d < 3; d++) {
    mkdirSync(join(upper, `d${d}`), { recursive: true })
    for (let i = 0; i < 2500; i++) writeFileSync(join(upper, `d${d}`, `f${i}`), 'x')
  }
  mkdirSync(join(dir, 'state'))
  const index = new UpperIndex(toBytes(upper))
  const view = new PendingView(index, new StateStore(join(dir, 'state')), new ErrorRegistry(() => undefined), new Backoffs(clock, 60_000))
  await index.fullScan()
  const complete = view.summary()
  t.is(complete.entries, files + 3, 'every file and directory is pending')

  const walk = index.fullScan() // runs up to its first yield before returning
  t.true(index.walking, 'the walk has yielded with part of upper indexed')
  t.true(index.entries.size < files, `only ${index.entries.size} entries indexed so far`)
  t.is(view.summary().entries, files + 3)
  await walk
  t.false(index.walking)
  t.is(view.summary().entries, files + 3)
})
