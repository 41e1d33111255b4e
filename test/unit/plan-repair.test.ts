import test from 'ava'
import type { BrickIdentity } from '../../src/facts/bricks.ts'
import { parseBrickIdentity } from '../../src/facts/bricks.ts'
import type { BrickStatus, HealSummary, VolumeInfo } from '../../src/facts/gluster.ts'
import { brickIdentityRestored, bricksOnline } from '../../src/tasks/bricks.ts'
import { healed, splitBrainResolved } from '../../src/tasks/heal.ts'
import { agentHealth, healHealth, volumeHealth } from '../../src/tasks/health.ts'
import { host } from '../helpers/hosts.ts'
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
  t.deepEqual(planOf(healed(), { state: { bricks: heal(3), splitBrainFiles: [] } }).commands, ['gluster --mode=script volume heal gv0'])
  t.deepEqual(planOf(healed(), { state: { bricks: heal(0), splitBrainFiles: [] } }).changes, [])
  t.regex(planOf(healed(), { state: { bricks: heal(3, 0, false), splitBrainFiles: [] } }).refuse!, /unreachable/)
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
