// union_lower brick: when this host's brick counts as current (gluster's answers), and the on-brick
// formats the agent reads (gfid -> FUSE inode number, trusted.glusterfs.mdata).
import test from 'ava'
import { readFileSync } from 'node:fs'
import { judgeBrick, type BrickFacts } from '../../src/agent/fs/brick-health.ts'
import { gfidIno, isGlusterInternalRootName, mdataTimes } from '../../src/agent/fs/gluster-brick.ts'
import { parseConfig } from '../../src/agent/service/config.ts'
import { agentUnits } from '../../src/agent/service/units.ts'

const fx = (name: string) => readFileSync(new URL(`../fixtures/gluster/${name}`, import.meta.url), 'utf8')
const UUID = 'b036ba61-9d17-4eef-95de-a9ec9c6d8f63'
const quorum = (type: string, count: string) =>
  fx('volume-info-started.xml').replace(
    '<options>',
    `<options><option><name>cluster.quorum-type</name><value>${type}</value></option><option><name>cluster.quorum-count</name><value>${count}</value></option>`,
  )
const base: BrickFacts = {
  volumeInfo: quorum('fixed', '2'),
  healSummary: fx('heal-info-summary.xml'),
  localUuid: UUID,
  brick: '/tmp/gcap/b1',
}

test('judgeBrick: current only with every brick up, nothing to heal and a quorum of all bricks', (t) => {
  const cases: [string, Partial<BrickFacts>, RegExp][] = [
    ['all well', {}, /^current/],
    ['quorum auto (one brick may write alone)', { volumeInfo: quorum('auto', '0') }, /quorum lets writes reach fewer than all 2 bricks/],
    ['quorum fixed 1', { volumeInfo: quorum('fixed', '1') }, /quorum-count 1/],
    ['quorum unset', { volumeInfo: fx('volume-info-started.xml') }, /quorum-type unset/],
    ['arbiter', { volumeInfo: quorum('fixed', '2').replace('<arbiterCount>0</arbiterCount>', '<arbiterCount>1</arbiterCount>') }, /arbiter/],
    ['not this host', { localUuid: 'other' }, /this host's brick \/tmp\/gcap\/b1 is not one of the volume's bricks/],
    ['another path', { brick: '/tmp/gcap/b' }, /is not one of the volume's bricks/],
    ['a brick left out of heal info', { healSummary: fx('heal-info-summary.xml').replace(/<brick hostUuid[^>]*>\s*<name>vm:\/tmp\/gcap\/b2[\s\S]*?<\/brick>/, '') }, /heal info lists 1 of 2 bricks/],
    ['heal pending', { healSummary: fx('heal-info-summary.xml').replace('<totalNumberOfEntries>0</totalNumberOfEntries>', '<totalNumberOfEntries>3</totalNumberOfEntries>') }, /3 entries pending heal on vm:\/tmp\/gcap\/b1/],
    ['a brick down or its peer away', { healSummary: fx('heal-info-summary.xml').replace('<status>Connected</status>', '<status>Transport endpoint is not connected</status>') }, /brick vm:\/tmp\/gcap\/b1 is not online or not connected \(Transport endpoint is not connected\)/],
    ['gluster failed', { healSummary: '<cliOutput><opRet>-1</opRet><opErrno>0</opErrno><opErrstr>Volume gv0 does not exist</opErrstr></cliOutput>' }, /gluster did not answer: heal info: Volume gv0 does not exist/],
    ['gluster said nothing', { volumeInfo: '' }, /gluster did not answer/],
  ]
  for (const [name, over, reason] of cases) {
    const v = judgeBrick({ ...base, ...over })
    t.is(v.current, name === 'all well', name)
    t.regex(v.reason, reason, name)
  }
})

test("gfidIno: the last 8 bytes of the gfid, as gluster's FUSE mount reports the inode (posix_fill_ino_from_gfid)", (t) => {
  const gfid = Buffer.from('0a9e1d4c3b7f4e629c115d2b8f0e7a34', 'hex')
  t.is(gfidIno(gfid), Number(0x9c115d2b8f0e7a34n))
  t.is(gfidIno(Buffer.alloc(15)), null)
  t.is(gfidIno(undefined), null)
})

test('mdataTimes: ctime and mtime from trusted.glusterfs.mdata (version 1, big-endian seconds and nanoseconds)', (t) => {
  const b = Buffer.alloc(57)
  b[0] = 1
  b.writeBigInt64BE(1700000000n, 9)
  b.writeBigInt64BE(250_000_000n, 17)
  b.writeBigInt64BE(1600000000n, 25)
  b.writeBigInt64BE(1_000_000n, 33)
  t.deepEqual(mdataTimes(b), { ctimeMs: 1700000000250, mtimeMs: 1600000000001 })
  t.is(mdataTimes(Buffer.concat([Buffer.from([2]), b.subarray(1)])), null, 'an unknown version is not read')
  t.is(mdataTimes(b.subarray(0, 40)), null)
})

test("gluster's names at the brick root", (t) => {
  t.true(isGlusterInternalRootName('.glusterfs'))
  t.true(isGlusterInternalRootName('.glusterfs-anonymous-inode-0a9e1d4c-3b7f-4e62-9c11-5d2b8f0e7a34'))
  t.false(isGlusterInternalRootName('.glusterfs-notes'))
  t.false(isGlusterInternalRootName('glusterfs'))
})

test('agent config: unionLower brick needs the brick and volume; the union unit then mounts on the bind and asserts it', (t) => {
  const cfg = { host: 'hydra', upper: '/d/u', work: '/d/w', lower: '/gfs/gv0', union: '/gfs/union' }
  t.throws(() => parseConfig({ ...cfg, unionLower: 'brick' }), { message: /brick: expected an absolute path/ })
  t.throws(() => parseConfig({ ...cfg, unionLower: 'local' }), { message: /unionLower: expected "gv0" or "brick"/ })
  t.throws(() => parseConfig({ ...cfg, unionLower: 'brick', brick: '/d/u/b', volume: 'gv0' }), { message: /brick: must be apart from upper/ })
  const ok = parseConfig({ ...cfg, unionLower: 'brick', brick: '/data/brick1/gv0', volume: 'gv0' })
  const union = agentUnits(ok)[1]!.content
  t.regex(union, /^AssertPathIsMountPoint=\/run\/gfs-writecache-lower$/m)
  t.regex(union, /^Options=lowerdir=\/run\/gfs-writecache-lower,/m)
  t.notRegex(agentUnits(parseConfig(cfg))[1]!.content, /Assert|writecache-lower/, 'the default mode is unchanged')
})
