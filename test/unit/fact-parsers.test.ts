// Plans rewrite whole files and may reset bricks: a parser must refuse output that was cut short.
import test from 'ava'
import type { Result } from '../../src/engine/result.ts'
import { parseBrickIdentity } from '../../src/facts/bricks.ts'
import { endMarker, parseFileContent } from '../../src/facts/files.ts'
import { parseUnitStates } from '../../src/facts/systemd.ts'
import { parseFuserPids } from '../../src/facts/mounts.ts'

const out = (stdout: string, exitCode = 0): Result => ({ host: 'h', command: 'c', exitCode, stdout, stderr: '', durationMs: 0 })

test('file content: mode, content and the end marker; a missing file; an answer cut short', (t) => {
  t.deepEqual(parseFileContent(out(`644\nUUID=1 / ext4 defaults 0 1\n${endMarker}`)), { exists: true, mode: 0o644, content: 'UUID=1 / ext4 defaults 0 1\n' })
  t.deepEqual(parseFileContent(out('missing\n')), { exists: false, content: '', mode: 0 })
  t.throws(() => parseFileContent(out('', 124)), { message: /cannot read the file/ })
  t.throws(() => parseFileContent(out('')), { message: /incomplete answer/ })
  t.throws(() => parseFileContent(out('644\nUUID=1 / ext4')), { message: /incomplete answer/ })
})

test('brick identity: an empty or cut answer is never taken for an empty brick', (t) => {
  t.throws(() => parseBrickIdentity(out('')), { message: /incomplete answer about the brick/ })
  t.throws(() => parseBrickIdentity(out('exists=yes\n')), { message: /incomplete/ })
  t.deepEqual(parseBrickIdentity(out('exists=no\nend=yes\n')), { exists: false, volumeId: undefined, hasData: false })
})

test('unit states: every unit must be answered for', (t) => {
  const block = 'LoadState=loaded\nActiveState=active\nSubState=running\nUnitFileState=enabled\nFragmentPath=/lib/x\nNeedDaemonReload=no'
  t.is(parseUnitStates(out(block), ['glusterd'])[0]!.active, 'active')
  t.throws(() => parseUnitStates(out(''), ['glusterd']), { message: /incomplete answer from systemctl show/ })
  t.throws(() => parseUnitStates(out(block), ['a', 'b']), { message: /1 of 2 units/ })
})

test('users of a mount: the PIDs fuser prints, none when nothing is mounted, never from an answer cut short', (t) => {
  t.deepEqual(parseFuserPids(out(` 4242  4243\n${endMarker}\n`)), [4242, 4243])
  t.deepEqual(parseFuserPids(out(`\n${endMarker}\n`)), [])
  t.throws(() => parseFuserPids(out(' 4242')), { message: /incomplete answer from fuser/ })
  t.throws(() => parseFuserPids(out('')), { message: /incomplete answer from fuser/ })
})
