import test from 'ava'
import { linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ExecCommand } from '../../src/engine/command.ts'
import { localExecutor } from '../../src/engine/local-executor.ts'
import type { BrickIdentity } from '../../src/facts/bricks.ts'
import { parseBrickIdentity } from '../../src/facts/bricks.ts'
import type { BrickStatus, HealState, HealSummary, VolumeInfo } from '../../src/facts/gluster.ts'
import { healStateIfIndexed } from '../../src/facts/gluster.ts'
import { brickIdentityRestored, bricksOnline } from '../../src/tasks/bricks.ts'
import { healed, splitBrainResolved } from '../../src/tasks/heal.ts'
import { agentHealth, healHealth, volumeHealth } from '../../src/tasks/health.ts'
import { host, inventory } from '../helpers/hosts.ts'
import { planOf } from '../helpers/plan.ts'

const id = 'ebf735b5-2ac3-46f3-909a-efdb5f1f41ce'
const volume: VolumeInfo = {
  name: 'gv0', id, started: true, replicaCount: 2, arbiterCount: 0, typeStr: 'Replicate', options: {},
  bricks: [{ host: 'hydra', path: '/data/brick1/gv0', arbiter: false }, { host: 'plexus', path: '/data/brick1/gv0', arbiter: false }],
}
const brick = (b: Partial<BrickIdentity>): BrickIdentity => ({ exists: true, volumeId: id, hasData: true, ...b })
const onPlexus = { on: host('plexus') }

test('brick identity: parsed from getfattr output', (t) => {
  const out = 'exists=yes\ntrusted.glusterfs.volume-id=0xebf735b52ac346f3909aefdb5f1f41ce\nentries=1\nend=yes\n'
  t.deepEqual(parseBrickIdentity({ host: 'h', command: '', exitCode: 0, stdout: out, stderr: '', durationMs: 0 }), brick({}))
  const wiped = parseBrickIdentity({ host: 'h', command: '', exitCode: 0, stdout: 'exists=yes\nentries=0\nend=yes\n', stderr: '', durationMs: 0 })
  t.deepEqual(wiped, { exists: true, volumeId: undefined, hasData: false })
})

test('brick identity: an empty brick without volume-id is reset and healed', (t) => {
  const plan = planOf(brickIdentityRestored(), { volume, brick: brick({ volumeId: undefined, hasData: false }) }, onPlexus)
  t.deepEqual(plan.commands, [
    'gluster --mode=script volume reset-brick gv0 plexus:/data/brick1/gv0 start',
    'gluster --mode=script volume reset-brick gv0 plexus:/data/brick1/gv0 plexus:/data/brick1/gv0 commit force',
    'n=0; until gluster --mode=script volume heal gv0 full; do n=$((n+1)); [ $n -lt 30 ] || exit 1; sleep 2; done',
  ])
})

test('brick identity: a brick that still holds files is never reset automatically', (t) => {
  const refusal = planOf(brickIdentityRestored(), { volume, brick: brick({ volumeId: undefined }) }, onPlexus).refuse!
  t.regex(refusal, /still holds files/)
  t.regex(refusal, /reset-brick gv0 plexus:\/data\/brick1\/gv0 start/)
  t.regex(planOf(brickIdentityRestored(), { volume, brick: brick({ volumeId: '00000000-0000-0000-0000-000000000000' }) }).refuse!, /another volume/)
  t.deepEqual(planOf(brickIdentityRestored(), { volume, brick: brick({}) }).changes, [])
})

test('bricks online: down bricks are started with start force', (t) => {
  const status = (online: boolean): BrickStatus[] => [
    { host: 'hydra', path: '/data/brick1/gv0', online: true, pid: 1 },
    { host: 'plexus', path: '/data/brick1/gv0', online, pid: online ? 2 : null },
  ]
  t.deepEqual(planOf(bricksOnline(), { bricks: status(false) }).commands, ['gluster --mode=script volume start gv0 force'])
  t.deepEqual(planOf(bricksOnline(), { bricks: status(true) }).changes, [])
})

const heal = (pending: number, splitBrain = 0, connected = true): HealSummary[] => [
  { brick: 'hydra:/data/brick1/gv0', connected, pending, splitBrain, possiblyHealing: 0 },
]

test('heals: triggered while entries are pending; refused while a brick is unreachable', (t) => {
  const trigger = planOf(healed(), { state: { bricks: heal(3), splitBrainFiles: [] } })
  t.deepEqual(trigger.changes, ['heal 3 pending entries'])
  t.regex(trigger.commands?.[0] ?? '', /gluster --mode=script volume heal gv0 2>&1/)
  t.deepEqual(planOf(healed(), { state: { bricks: heal(0), splitBrainFiles: [] } }).changes, [])
  t.regex(planOf(healed(), { state: { bricks: heal(3, 0, false), splitBrainFiles: [] } }).refuse!, /unreachable/)
  const quiet = planOf(healed(), { state: { bricks: [], splitBrainFiles: [], indexEmpty: true } })
  t.deepEqual(quiet.changes, [])
  t.false(planOf(splitBrainResolved(), { state: { bricks: [], splitBrainFiles: [], indexEmpty: true } }).refuse !== undefined)
})

/** The first command healed() plans on hydra for these heal facts. */
function healCommand(state: HealState): ExecCommand {
  const hosts = [host('hydra'), host('plexus')]
  const plan = healed().plan({ state } as never, { host: hosts[0]!, hosts, inventory: inventory(hosts), check: false })
  if ('refuse' in plan) throw new Error(plan.refuse)
  return plan.changes[0]!.commands[0] as ExecCommand
}

/** Run a command here with `dir` first on PATH (stand-in programs). */
const runWithPath = (dir: string, c: ExecCommand) => localExecutor('hydra').run({ ...c, script: `PATH=${dir}; export PATH; ${c.script}` })

test("heals: the trigger waits while another host's trigger holds the volume lock, and fails on anything else", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gfs-heal-'))
  // a stand-in gluster: busy twice, then successful; then one that fails for another reason
  const fakeGluster = (body: string) => writeFileSync(join(dir, 'gluster'), `#!/bin/sh\n${body}\n`, { mode: 0o755 })
  const trigger = healCommand({ bricks: heal(3), splitBrainFiles: [] })
  fakeGluster(`n=$(cat ${dir}/n 2>/dev/null || echo 0); echo $((n + 1)) > ${dir}/n; [ $n -ge 2 ] && { echo launched; exit 0; }; echo 'Another transaction is in progress for gv0. Please try again after some time.'; exit 1`)
  t.is((await runWithPath(`${dir}:/usr/bin:/bin`, trigger)).exitCode, 0)
  t.is(readFileSync(join(dir, 'n'), 'utf8').trim(), '3')
  fakeGluster(`echo 'Self-heal daemon is not running'; exit 1`)
  const failed = await runWithPath(`${dir}:/usr/bin:/bin`, trigger)
  t.is(failed.exitCode, 1)
  t.regex(failed.stderr, /Self-heal daemon is not running/)
})

test('heals: the index fact answers from an empty heal index, and asks gluster when it holds an entry', async (t) => {
  const brickDir = mkdtempSync(join(tmpdir(), 'gfs-brick-'))
  const indices = join(brickDir, '.glusterfs', 'indices')
  for (const d of ['xattrop', 'dirty', 'entry-changes']) mkdirSync(join(indices, d), { recursive: true })
  const base = join(indices, 'xattrop', 'xattrop-6a1c6b4e-0d5b-4f7a-9a55-2a1e0c2d9f11')
  writeFileSync(base, '')
  // no gluster on this PATH: an answer that needs it fails instead of claiming nothing is pending
  const read = async (f: ReturnType<typeof healStateIfIndexed>) => f.parse(await runWithPath('/usr/bin:/bin', f.command as ExecCommand))
  const f = healStateIfIndexed('gv0', brickDir)
  t.deepEqual(await read(f), { bricks: [], splitBrainFiles: [], indexEmpty: true })
  linkSync(base, join(indices, 'xattrop', '0b8e3f7c-2f1a-4d0e-8c5b-7a6d9e1f2c3b'))
  await t.throwsAsync(read(f))
  rmSync(join(indices, 'xattrop', '0b8e3f7c-2f1a-4d0e-8c5b-7a6d9e1f2c3b'))
  mkdirSync(join(indices, 'entry-changes', '00000000-0000-0000-0000-000000000001'))
  await t.throwsAsync(read(f))
  await t.throwsAsync(read(healStateIfIndexed('gv0', join(brickDir, 'wiped'))))
})

test('split brain: listed without a policy, resolved with one', (t) => {
  const refusal = planOf(splitBrainResolved(), { state: { bricks: heal(0, 1), splitBrainFiles: ['/docs/a.txt'] } }).refuse!
  t.regex(refusal, /1 file\(s\) in split brain: \/docs\/a.txt/)
  t.regex(refusal, /split-brain source-brick/)
  const hosts = [host('hydra', {}, { splitBrainPolicy: 'latest-mtime' }), host('plexus', {}, { splitBrainPolicy: 'latest-mtime' })]
  t.deepEqual(planOf(splitBrainResolved(), { state: { bricks: heal(0, 2), splitBrainFiles: ['/docs/a.txt', '<gfid:1234>'] } }, { hosts }).commands, [
    'gluster --mode=script volume heal gv0 split-brain latest-mtime /docs/a.txt',
    'gluster --mode=script volume heal gv0 split-brain latest-mtime gfid:1234',
  ])
})

test('status: volume, heal and agent checks fail on what needs attention', (t) => {
  const bricks = [{ host: 'hydra', path: '/data/brick1/gv0', online: true, pid: 1 }]
  t.regex(planOf(volumeHealth(), { info: volume, bricks }).refuse!, /bricks online 1\/2/)
  t.regex(planOf(volumeHealth(), { info: { ...volume, started: false }, bricks }).refuse!, /STOPPED/)
  t.regex(planOf(healHealth(), { state: { bricks: heal(0, 2), splitBrainFiles: [] } }).refuse!, /2 in split brain/)
  const report = {
    version: '1', running: true, union: { path: '/gfs/union', mounted: true }, lastPublish: null, errors: [], conflicts: 0,
    pending: { entries: 2, bytes: 1048576, oldestAgeSeconds: 3 }, cache: { usedPercent: 10, highWatermarkPercent: 90, lowWatermarkPercent: 70 },
  }
  t.regex(planOf(agentHealth(), { report }).reason!, /running 1; pending 2 entries \(1.0 MiB, oldest 3 s\)/)
  t.regex(planOf(agentHealth(), { report: { ...report, running: false } }).refuse!, /agent not running/)
  t.regex(planOf(agentHealth(), { report: { ...report, cache: { ...report.cache, usedPercent: 95 } } }).refuse!, /high watermark/)
  t.regex(planOf(agentHealth(), { report: undefined }).refuse!, /not installed/)
})
