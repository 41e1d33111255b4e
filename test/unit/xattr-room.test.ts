// The brick's file system and gluster's xattrs: the probe on real ext4 file systems of both inode sizes, its
// parser, the task's warning, and how a warning is shown.
import test from 'ava'
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { parseXattrRoom, xattrRoom } from '../../src/facts/xattr-room.ts'
import { formatEvent } from '../../src/report/terminal.ts'
import { brickXattrRoom } from '../../src/tasks/storage.ts'
import { host } from '../helpers/hosts.ts'
import { planOf } from '../helpers/plan.ts'

const result = (stdout: string, exitCode = 0) => ({ host: 'hydra', command: 'probe', exitCode, stdout, stderr: '', durationMs: 1 })

/** Runs the fact's command here, as the host would, in `dir`. */
function probe(dir: string) {
  const cmd = xattrRoom(dir).command
  if (cmd.kind !== 'exec') throw new Error('an exec command')
  const stdout = execFileSync('sh', ['-c', cmd.script], { encoding: 'utf8' })
  return parseXattrRoom(result(stdout))
}

for (const [inodeSize, want] of [
  [256, 'block'],
  [512, 'inode'],
] as const) {
  test.serial(`the probe on ext4 with ${inodeSize}-byte inodes: gluster's xattrs are in ${want === 'inode' ? 'the inode' : 'a block of their own'}; nothing is left behind`, (t) => {
    const dir = mkdtempSync('/tmp/gfswc-xattr-room-')
    const image = join(dir, 'disk.img')
    const mnt = join(dir, 'mnt')
    mkdirSync(mnt)
    execFileSync('truncate', ['-s', '64M', image])
    execFileSync('mkfs.ext4', ['-q', '-F', '-I', String(inodeSize), image])
    execFileSync('mount', ['-o', 'loop', image, mnt])
    t.teardown(() => {
      execFileSync('umount', [mnt])
      rmSync(dir, { recursive: true, force: true })
    })
    mkdirSync(join(mnt, 'brick1'))
    t.is(probe(join(mnt, 'brick1')), want)
    t.deepEqual(readdirSync(join(mnt, 'brick1')), [], 'the probe file is gone')
  })
}

test('the probe where it cannot tell: no such directory', (t) => {
  t.is(probe('/nonexistent/gfswc-brick-parent'), 'unknown')
})

test('the parser: blocks, "unknown", and anything else is an error, not a guess', (t) => {
  t.is(parseXattrRoom(result('8\n')), 'block')
  t.is(parseXattrRoom(result('0\n')), 'inode')
  t.is(parseXattrRoom(result('unknown\n')), 'unknown')
  t.throws(() => parseXattrRoom(result('stat: cannot stat\n')), { message: /unexpected answer/ })
  t.throws(() => parseXattrRoom(result('', 1)))
})

test('the task warns, never changes; with union_lower brick it names the union', (t) => {
  const gv0 = planOf(brickXattrRoom(), { room: 'block' })
  t.deepEqual(gv0.changes, [])
  t.regex(gv0.warning ?? '', /mkfs\.xfs -i size=512 or mkfs\.ext4 -I 512/)
  t.notRegex(gv0.warning ?? '', /union_lower brick/)
  const hosts = [host('hydra', {}, { unionLower: 'brick' }), host('plexus')]
  const brick = planOf(brickXattrRoom(), { room: 'block' }, { hosts })
  t.deepEqual(brick.changes, [])
  t.regex(brick.warning ?? '', /mkfs\.xfs -i size=512 or mkfs\.ext4 -I 512/)
  t.regex(brick.warning ?? '', /union_lower brick/)
  const quiet = planOf(brickXattrRoom(), { room: 'inode' }, { hosts })
  t.false('refuse' in quiet)
  t.is(quiet.warning, undefined)
})

test('a warning shows without --verbose, under the ok line', (t) => {
  const lines = formatEvent({ type: 'task:end', host: 'hydra', task: 'x', status: 'ok', message: 'in a block of their own', warning: 'make it 512', durationMs: 1 })
  t.is(lines.length, 2)
  t.regex(lines[1]!, /\[WARNING\]: make it 512/)
  t.is(formatEvent({ type: 'task:end', host: 'hydra', task: 'x', status: 'ok', message: 'fine', durationMs: 1 }).length, 1)
})
