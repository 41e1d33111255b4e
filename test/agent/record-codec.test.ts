// Records have word names in memory and one-letter fields on disk: files written by earlier versions
// (test/fixtures/agent-state, written by the StateStore of a856b51) must read back, and be written back
// in the same form.
import test from 'ava'
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StateStore } from '../../src/agent/state/state-store.ts'
import { decodeRecord, encodeRecord, type CompactRecord } from '../../src/agent/state/record-codec.ts'

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'agent-state')

function copyOfFixtures(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gfs-state-'))
  cpSync(fixtures, dir, { recursive: true })
  return dir
}

test('a state file of an earlier version reads into word-named records', (t) => {
  const dir = copyOfFixtures()
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const st = new StateStore(dir)
  st.load()
  t.is(st.upperIno, 4242)
  t.deepEqual(st.get('docs/report.odt'), {
    kind: 'f', ino: 101, size: 5, mtimeMs: 1764480000123.456, ctimeMs: 1764480001000.5,
    lower: { kind: 'f', ino: 9001, size: 5, mtimeMs: 1764480000123.456, ctimeMs: 1764480002000 },
    publishedAt: 1764480003000, digest: 'sha256:abc', metaHashes: { 'user.tag': 'a1b2' },
  })
  t.deepEqual(st.get('docs'), {
    kind: 'd', ino: 100, size: 4096, mtimeMs: 1, ctimeMs: 2,
    lower: { kind: 'd', ino: 9000, size: 4096, mtimeMs: 1, ctimeMs: 2 }, publishedAt: 3, dirAttrs: [1000, 1000, 0o755], opaqueDone: true,
  })
  t.deepEqual(st.get('gone'), { kind: 'w', ino: 103, size: 0, mtimeMs: 20, ctimeMs: 21, lower: null, publishedAt: 22 })
  t.is(st.get('photos/a.jpg'), undefined, 'a reclaimed record older than 30 days is dropped')
  t.is(st.totals.publishedBytes, 5)
  t.is(st.conflicts[0]?.localCopy, 'photos/a.conflict-hydra-20261130.jpg')
  t.true(st.isOurs('docs/new.txt', { ino: 104, size: 3, mtimeMs: 30.25 }), 'an intent of an earlier version is still ours')
  t.false(st.isOurs('docs/new.txt', { ino: 105, size: 3, mtimeMs: 30.25 }))
})

test('saving writes the same compact form an earlier version wrote', (t) => {
  const dir = copyOfFixtures()
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const st = new StateStore(dir)
  st.load()
  st.save()
  const before = JSON.parse(readFileSync(join(fixtures, 'state.json'), 'latin1'))
  const after = JSON.parse(readFileSync(join(dir, 'state.json'), 'latin1'))
  delete before.records['photos/a.jpg']
  // the one field added since: how many saves the file has seen (older versions ignore it)
  t.is(after.gen, 1)
  delete after.gen
  t.deepEqual(after, before)
  t.is(readFileSync(join(dir, 'intents.log'), 'latin1'), readFileSync(join(fixtures, 'intents.log'), 'latin1'))
})

test('every compact field survives a round trip, in both directions', (t) => {
  const records = JSON.parse(readFileSync(join(fixtures, 'state.json'), 'latin1')).records as Record<string, CompactRecord>
  for (const [rel, compact] of Object.entries(records)) {
    t.deepEqual(encodeRecord(decodeRecord(compact)), compact, rel)
    const rec = decodeRecord(compact)
    t.deepEqual(decodeRecord(encodeRecord(rec)), rec, rel)
  }
  t.true(decodeRecord(records['photos/a.jpg']!).reclaimed)
  t.is(decodeRecord(records['photos/a.jpg']!).lower?.links, 2)
  t.is(decodeRecord(records['photos/a.jpg']!).conflictLower?.ino, 9003)
})
