import test from 'ava'
import { readFileSync } from 'node:fs'
import type { Result } from '../../src/engine/result.ts'
import { parseHealState, parseHealSummary, parsePeers, parseVolumeInfo, parseVolumeOptions, parseVolumeStatus } from '../../src/facts/gluster.ts'

const captured = (name: string, exitCode = 0): Result => ({
  host: 'h',
  command: 'gluster',
  exitCode,
  stdout: readFileSync(new URL(`../fixtures/gluster/${name}`, import.meta.url), 'utf8'),
  stderr: '',
  durationMs: 0,
})

test('volume info of a started replica-2 volume', (t) => {
  const v = parseVolumeInfo(captured('volume-info-started.xml'))!
  t.is(v.name, 'gv0')
  t.true(v.started)
  t.is(v.replicaCount, 2)
  t.deepEqual(v.bricks, [
    { host: 'vm', path: '/tmp/gcap/b1', arbiter: false },
    { host: 'vm', path: '/tmp/gcap/b2', arbiter: false },
  ])
  t.is(v.options['nfs.disable'], 'on')
})

test('volume info of a created, not started volume', (t) => {
  t.false(parseVolumeInfo(captured('volume-info-created.xml'))!.started)
})

test('a missing volume is undefined, not an error', (t) => {
  t.is(parseVolumeInfo(captured('volume-info-missing.xml')), undefined)
})

test('volume get all: values without the (DEFAULT) marker', (t) => {
  const before = parseVolumeOptions(captured('volume-get-all.xml'))
  t.is(before['cluster.quorum-type'], 'none')
  t.is(before['network.ping-timeout'], '42')
  const after = parseVolumeOptions(captured('volume-get-all-set.xml'))
  t.is(after['cluster.quorum-type'], 'fixed')
  t.is(after['cluster.quorum-count'], '2')
  // 342 entries, six option names appear twice (gluster lists some under two translators)
  t.is(Object.keys(after).length, 336)
})

test('volume status lists brick processes, not daemons', (t) => {
  const bricks = parseVolumeStatus(captured('volume-status.xml'))
  t.is(bricks.length, 2)
  t.deepEqual(bricks[0], { host: 'vm', path: '/tmp/gcap/b1', online: true, pid: 19626 })
})

test('heal info summary counts per brick', (t) => {
  const heal = parseHealSummary(captured('heal-info-summary.xml'))
  t.deepEqual(heal[0], { brick: 'vm:/tmp/gcap/b1', connected: true, pending: 0, splitBrain: 0, possiblyHealing: 0 })
})

test('peer status of a single node is empty; gluster errors carry gluster words', (t) => {
  t.deepEqual(parsePeers(captured('peer-status-empty.xml')), [])
  const failed: Result = { ...captured('peer-status-empty.xml'), stdout: '<cliOutput><opRet>-1</opRet><opErrno>2</opErrno><opErrstr>Connection failed. Please check if gluster daemon is operational.</opErrstr></cliOutput>' }
  t.throws(() => parsePeers(failed), { message: /gluster daemon is operational/ })
  t.throws(() => parsePeers({ ...failed, exitCode: 1, stdout: '', stderr: 'gluster: command not found' }), { message: /command not found/ })
})

test('heal state: the summary alone, or followed by the split-brain listing', (t) => {
  const summary = captured('heal-info-summary.xml')
  t.deepEqual(parseHealState(summary).splitBrainFiles, [])
  t.is(parseHealState(summary).bricks.length, 2)
  const listing =
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cliOutput><healInfo><bricks><brick hostUuid="u"><name>vm:/b1</name>' +
    '<file gfid="g1">/docs/a &amp; b.txt</file><file gfid="g2">&lt;gfid:1234&gt;</file></brick><brick hostUuid="u"><name>vm:/b2</name>' +
    '<file gfid="g1">/docs/a &amp; b.txt</file></brick></bricks></healInfo><opRet>0</opRet><opErrno>0</opErrno><opErrstr/></cliOutput>\n'
  const both = parseHealState({ ...summary, stdout: summary.stdout + listing })
  t.deepEqual(both.splitBrainFiles, ['/docs/a & b.txt', '<gfid:1234>'])
})
