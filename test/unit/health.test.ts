// Health: the thresholds' verdict behind `status`'s exit code, the gluster check, the metrics it renders.
import test from 'ava'
import { readFileSync } from 'node:fs'
import { parseConfig } from '../../src/agent/service/config.ts'
import { healthDefaults, type HealthThresholds } from '../../src/agent/service/defaults.ts'
import { renderMetrics } from '../../src/agent/service/metrics.ts'
import { formatStatus, type StatusReport } from '../../src/agent/service/status.ts'
import { checkGluster, quorumMet, type GlusterHealth, type GlusterRunner } from '../../src/agent/health/gluster.ts'
import { withHealth } from '../../src/agent/health/report.ts'
import { evaluateHealth, formatVerdict, type HealthInput, type HealthState } from '../../src/agent/health/verdict.ts'

const fixture = (name: string) => readFileSync(new URL(`../fixtures/gluster/${name}`, import.meta.url), 'utf8')

const healthyGluster: GlusterHealth = {
  checkedAt: '2026-11-30T05:00:00.000Z',
  problem: null,
  peersConnected: 1,
  peersTotal: 1,
  bricksOnline: 2,
  bricksTotal: 2,
  healPending: 0,
  splitBrain: 0,
  writable: true,
}

const healthy: HealthInput = {
  running: true,
  union: { path: '/gfs/union', mounted: true },
  lower: { path: '/gfs/gv0', problem: null },
  pending: { oldestAgeSeconds: null },
  errors: [],
  gluster: healthyGluster,
}

const verdict = test.macro({
  exec(t, change: Partial<HealthInput>, expected: { state: HealthState; code: number; reason?: RegExp }, thresholds: Partial<HealthThresholds> = {}) {
    const v = evaluateHealth({ ...healthy, ...change }, { ...healthDefaults, ...thresholds })
    t.is(v.state, expected.state)
    t.is(v.code, expected.code)
    if (expected.reason) t.regex(formatVerdict(v), expected.reason)
    else t.is(formatVerdict(v), 'OK')
  },
  title: (title = '') => `verdict: ${title}`,
})

test('healthy', verdict, {}, { state: 'ok', code: 0 })
test('agent down is critical', verdict, { running: false }, { state: 'critical', code: 2, reason: /^CRITICAL: flush agent not running/ })
test('agent down can be ignored', verdict, { running: false }, { state: 'ok', code: 0 }, { agentDown: 'ignore' })
test('union not mounted is critical', verdict, { union: { path: '/gfs/union', mounted: false } }, { state: 'critical', code: 2, reason: /union \/gfs\/union not mounted/ })
test('gv0 not mounted is a warning by default', verdict, { lower: { path: '/gfs/gv0', problem: 'gv0 is not mounted at /gfs/gv0' } }, { state: 'warning', code: 1, reason: /^WARNING: gv0: gv0 is not mounted/ })
test('gv0 read-only (quorum lost) counts as gv0_read_only', verdict, { gluster: { ...healthyGluster, bricksOnline: 1, writable: false } }, { state: 'critical', code: 2, reason: /gv0 read-only: 1 of 2 bricks reachable/ }, { gv0ReadOnly: 'critical' })
test('a brick down with quorum kept is gluster_degraded', verdict, { gluster: { ...healthyGluster, bricksTotal: 3, bricksOnline: 2 } }, { state: 'warning', code: 1, reason: /2 of 3 bricks reachable/ })
test('a peer disconnected is gluster_degraded', verdict, { gluster: { ...healthyGluster, peersConnected: 0 } }, { state: 'warning', code: 1, reason: /0 of 1 gluster peers connected/ })
test('split brain is critical', verdict, { gluster: { ...healthyGluster, splitBrain: 3 } }, { state: 'critical', code: 2, reason: /3 entries in split brain/ })
test('pending heals are gluster_degraded', verdict, { gluster: { ...healthyGluster, healPending: 4 } }, { state: 'warning', code: 1, reason: /4 entries pending heal/ })
test('gluster not answering is gluster_degraded', verdict, { gluster: { checkedAt: healthyGluster.checkedAt, problem: 'gluster peer status did not answer within 30 s' } }, { state: 'warning', code: 1, reason: /gluster: gluster peer status did not answer/ })
test('no gluster check yet says nothing about gluster', verdict, { gluster: null }, { state: 'ok', code: 0 })
test('pending age below the warning', verdict, { pending: { oldestAgeSeconds: 59 } }, { state: 'ok', code: 0 }, { pendingAgeWarningSeconds: 60, pendingAgeCriticalSeconds: 120 })
test('pending age at the warning', verdict, { pending: { oldestAgeSeconds: 60 } }, { state: 'warning', code: 1, reason: /oldest unpublished change 60 s old \(threshold 60 s\)/ }, { pendingAgeWarningSeconds: 60, pendingAgeCriticalSeconds: 120 })
test('pending age at the critical', verdict, { pending: { oldestAgeSeconds: 121 } }, { state: 'critical', code: 2, reason: /121 s old \(threshold 120 s\)/ }, { pendingAgeWarningSeconds: 60, pendingAgeCriticalSeconds: 120 })
test('pending age thresholds off', verdict, { pending: { oldestAgeSeconds: 1e9 } }, { state: 'ok', code: 0 }, { pendingAgeWarningSeconds: 0, pendingAgeCriticalSeconds: 0 })
test('one error warns by default', verdict, { errors: [{}] }, { state: 'warning', code: 1, reason: /1 unresolved errors \(threshold 1\)/ })
test('errors over the critical', verdict, { errors: [{}, {}, {}] }, { state: 'critical', code: 2, reason: /3 unresolved errors \(threshold 3\)/ }, { errorsCritical: 3 })

test('verdict: the worst condition sets the state and comes first; every one is named', (t) => {
  const v = evaluateHealth({ ...healthy, errors: [{}], union: { path: '/u', mounted: false } }, healthDefaults)
  t.is(v.state, 'critical')
  t.deepEqual(v.reasons.map((r) => r.level), ['critical', 'warning'])
  t.is(formatVerdict(v), 'CRITICAL: union /u not mounted: writes land on the root disk; 1 unresolved errors (threshold 1)')
})

test('config: health thresholds default, validate and name the key', (t) => {
  const required = { host: 'hydra', upper: '/c/upper', work: '/c/work', lower: '/gfs/gv0', union: '/gfs/union' }
  t.deepEqual(parseConfig(required).health, healthDefaults)
  t.is(parseConfig({ ...required, health: { errorsCritical: 5 } }).health.errorsCritical, 5)
  const error = t.throws(() => parseConfig({ ...required, volume: '-x', health: { agentDown: 'loud', errorsWarning: -1, pendingAgeWarningSeconds: 100, pendingAgeCriticalSeconds: 10, bogus: 1 } }))
  t.is(
    error?.message,
    'config: volume: expected a gluster volume name; health.bogus: unknown key; health.errorsWarning: expected a number >= 0 (0: off); ' +
      'health.agentDown: expected one of critical, warning, ignore; health.pendingAgeWarningSeconds: expected at most pendingAgeCriticalSeconds (10), got 100',
  )
})

test('quorum: fixed needs the count, auto a majority (half with the first brick), none one brick', (t) => {
  const vol = (options: Record<string, string>, n: number) => ({ bricks: Array.from({ length: n }, (_, i) => ({ host: `h${i}`, path: '/b', arbiter: false })), options })
  const fixed2 = vol({ 'cluster.quorum-type': 'fixed', 'cluster.quorum-count': '2' }, 2)
  t.true(quorumMet(fixed2, [true, true]))
  t.false(quorumMet(fixed2, [true, false]))
  t.false(quorumMet(fixed2, [false, true]))
  const auto3 = vol({ 'cluster.quorum-type': 'auto' }, 3)
  t.true(quorumMet(auto3, [false, true, true]))
  t.false(quorumMet(auto3, [true, false, false]))
  const auto2 = vol({ 'cluster.quorum-type': 'auto' }, 2)
  t.true(quorumMet(auto2, [true, false]))
  t.false(quorumMet(auto2, [false, true]))
  t.true(quorumMet(vol({}, 2), [false, true]), 'replica 2 without quorum options: gluster\'s default none')
  t.false(quorumMet(vol({}, 2), [false, false]))
})

const peersTwo = `<?xml version="1.0"?><cliOutput><opRet>0</opRet><opErrno>0</opErrno><opErrstr/><peerStatus>
<peer><uuid>u1</uuid><hostname>plexus</hostname><connected>0</connected><stateStr>Peer in Cluster</stateStr></peer>
<peer><uuid>u2</uuid><hostname>arb</hostname><connected>1</connected><stateStr>Peer in Cluster</stateStr></peer></peerStatus></cliOutput>`

const volumeFixed = fixture('volume-info-started.xml').replace(
  '<options>',
  '<options><option><name>cluster.quorum-type</name><value>fixed</value></option><option><name>cluster.quorum-count</name><value>2</value></option>',
)

const healOneDown = fixture('heal-info-summary.xml')
  .replace('<status>Connected</status>', '<status>Transport endpoint is not connected</status>')
  .replace(/<numberOfEntriesInHealPending>0</g, '<numberOfEntriesInHealPending>2<')
  .replace(/<numberOfEntriesInSplitBrain>0</, '<numberOfEntriesInSplitBrain>1<')

function runner(answers: Record<string, string | 'timeout' | 'missing'>): { run: GlusterRunner; calls: string[][] } {
  const calls: string[][] = []
  const run: GlusterRunner = async (args, timeoutMs) => {
    calls.push(args)
    const a = answers[args.slice(0, 2).join(' ')]
    if (a === 'timeout') return { code: 1, stdout: Buffer.alloc(0), stderr: '', timedOut: true }
    if (a === 'missing' || a === undefined) return { code: 127, stdout: Buffer.alloc(0), stderr: 'spawn gluster ENOENT' }
    t0(timeoutMs)
    return { code: 0, stdout: Buffer.from(a), stderr: '' }
  }
  return { run, calls }
}
const t0 = (ms: number) => {
  if (!(ms > 0)) throw new Error('no timeout given')
}

test('gluster check: peers, bricks reachable from heal info, pending heals, split brain, quorum', async (t) => {
  t.true(volumeFixed.includes('quorum-count'))
  const { run, calls } = runner({ 'peer status': peersTwo, 'volume info': volumeFixed, 'volume heal': healOneDown })
  const h = await checkGluster('gv0', run, 5000)
  t.like(h, { problem: null, peersConnected: 1, peersTotal: 2, bricksOnline: 1, bricksTotal: 2, healPending: 4, splitBrain: 1, writable: false })
  t.deepEqual(calls, [['peer', 'status'], ['volume', 'info', 'gv0'], ['volume', 'heal', 'gv0', 'info', 'summary']], 'no `volume status`: it takes the cluster lock')
  const ok = await checkGluster('gv0', runner({ 'peer status': fixture('peer-status-empty.xml'), 'volume info': volumeFixed, 'volume heal': fixture('heal-info-summary.xml') }).run)
  t.like(ok, { problem: null, peersConnected: 0, peersTotal: 0, bricksOnline: 2, bricksTotal: 2, healPending: 0, splitBrain: 0, writable: true })
})

test('gluster check: a timeout or a missing CLI is a problem, never an exception', async (t) => {
  const slow = await checkGluster('gv0', runner({ 'peer status': peersTwo, 'volume info': volumeFixed, 'volume heal': 'timeout' }).run, 5000)
  t.is(slow.problem, 'gluster volume heal gv0 info summary did not answer within 5 s')
  t.is(slow.bricksOnline, undefined)
  const missing = await checkGluster('gv0', runner({}).run)
  t.is(missing.problem, 'the gluster CLI is not installed')
  const gone = await checkGluster('gv0', runner({ 'peer status': peersTwo, 'volume info': fixture('volume-info-missing.xml') }).run)
  t.is(gone.problem, 'volume gv0 does not exist')
})

const report: StatusReport = {
  version: '1',
  host: 'hydra',
  running: true,
  union: { path: '/gfs/union', mounted: true },
  lower: { path: '/gfs/gv0', problem: null },
  pending: { entries: 2, bytes: 10, oldestAgeSeconds: 7 },
  unionLower: { setting: 'gv0', lower: 'gv0', path: '/gfs/gv0', reason: 'union_lower gv0' },
  uplink: { limit: 'off', limitBytesPerSecond: 0, source: 'timetable', next: null, drainBytesPerSecond: 0, copiedBytes: 0, etaSeconds: null },
  lastPublish: null,
  publishedTotal: 0,
  publishedBytesTotal: 0,
  publishRateBytesPerSecond: 0,
  errors: [],
  errorsTotal: 0,
  conflicts: 0,
  evictions: 0,
  cache: { usedPercent: 1, highWatermarkPercent: 90, lowWatermarkPercent: 70 },
}

const sample = (text: string, name: string) => text.match(new RegExp(`^${name}\\{host="hydra"\\} (\\S+)$`, 'm'))?.[1]

test('metrics: gluster health and the verdict as gauges; no counts when gluster did not answer', (t) => {
  const degraded = withHealth(report, { health: healthDefaults }, { ...healthyGluster, bricksOnline: 1, writable: false, healPending: 3, splitBrain: 1, peersConnected: 0 })
  const text = renderMetrics(degraded)
  t.is(sample(text, 'gfs_writecache_gluster_up'), '1')
  t.is(sample(text, 'gfs_writecache_gluster_peers_connected'), '0')
  t.is(sample(text, 'gfs_writecache_gluster_peers'), '1')
  t.is(sample(text, 'gfs_writecache_gluster_bricks_online'), '1')
  t.is(sample(text, 'gfs_writecache_gluster_bricks'), '2')
  t.is(sample(text, 'gfs_writecache_gluster_heal_pending_entries'), '3')
  t.is(sample(text, 'gfs_writecache_gluster_split_brain_entries'), '1')
  t.is(sample(text, 'gfs_writecache_gv0_writable'), '0')
  t.is(sample(text, 'gfs_writecache_gluster_check_timestamp_seconds'), String(Date.parse(healthyGluster.checkedAt) / 1000))
  t.is(sample(text, 'gfs_writecache_health_state'), '2', 'split brain is critical')
  const silent = renderMetrics(withHealth(report, { health: healthDefaults }, { checkedAt: healthyGluster.checkedAt, problem: 'timed out' }))
  t.is(sample(silent, 'gfs_writecache_gluster_up'), '0')
  t.is(sample(silent, 'gfs_writecache_gv0_writable'), undefined)
  t.is(sample(silent, 'gfs_writecache_gluster_bricks_online'), undefined)
  const fresh = renderMetrics(withHealth(report, { health: healthDefaults }, null))
  t.is(sample(fresh, 'gfs_writecache_gluster_up'), undefined, 'before the first check nothing is claimed')
  t.is(sample(fresh, 'gfs_writecache_health_state'), '0')
})

test('status text: the verdict first, gluster\'s view in one line', (t) => {
  const text = formatStatus(withHealth(report, { health: healthDefaults }, { ...healthyGluster, bricksOnline: 1, writable: false }))
  const lines = text.split('\n')
  t.is(lines[0], 'WARNING: gv0 read-only: 1 of 2 bricks reachable, too few for quorum')
  t.true(lines.includes('gluster: 1/1 peers connected, 1/2 bricks reachable, 0 pending heals, 0 in split brain, gv0 READ-ONLY (checked 2026-11-30T05:00:00.000Z)'))
})
