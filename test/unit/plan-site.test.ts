import test from 'ava'
import type { Peer, VolumeInfo } from '../../src/facts/gluster.ts'
import type { Mount } from '../../src/facts/mounts.ts'
import { gv0FstabEntry } from '../../src/tasks/appliance.ts'
import { fstabEntry, withFstabLine } from '../../src/tasks/files.ts'
import { peersInCluster, probePeers, sameOption, volumeCreated, volumeOptionsSet, volumeStarted, wantedOptions } from '../../src/tasks/gluster.ts'
import { gv0AclMount, immutableMountPoint, mounted, mountUnitName } from '../../src/tasks/mounts.ts'
import { packages } from '../../src/tasks/packages.ts'
import { storagePreflight } from '../../src/tasks/storage.ts'
import { service } from '../../src/tasks/systemd.ts'
import { SYSCTL_FILE, sysctlFile, sysctlsApplied } from '../../src/tasks/sysctl.ts'
import { host } from '../helpers/hosts.ts'
import { planOf } from '../helpers/plan.ts'

const peer = (hostname: string, state = 'Peer in Cluster', connected = true, otherNames: string[] = []): Peer => ({
  uuid: 'u',
  hostname,
  otherNames,
  connected,
  state,
})
const volume = (overrides: Partial<VolumeInfo> = {}): VolumeInfo => ({
  name: 'gv0',
  id: 'id',
  started: true,
  replicaCount: 2,
  arbiterCount: 0,
  typeStr: 'Replicate',
  bricks: [
    { host: 'hydra', path: '/data/brick1/gv0', arbiter: false },
    { host: 'plexus', path: '/data/brick1/gv0', arbiter: false },
  ],
  options: {},
  ...overrides,
})
const mount = (target: string, fstype: string, source = 'src'): Mount => ({ target, fstype, source, options: [] })

test('packages: only the missing ones are installed', (t) => {
  const task = packages('p', ['glusterfs-server', 'attr'])
  t.deepEqual(planOf(task, { installed: new Map([['attr', '1']]) }).changes, ['install glusterfs-server'])
  t.deepEqual(planOf(task, { installed: new Map([['attr', '1'], ['glusterfs-server', '10.3']]) }).changes, [])
})

test('service: enable and start only what is not', (t) => {
  const task = service('glusterd', { enabled: true, started: true })
  const state = { name: 'glusterd', loaded: true, active: 'inactive', sub: 'dead', enabled: 'disabled', fragmentPath: '', needsReload: false }
  t.deepEqual(planOf(task, { state }).commands, ['systemctl enable glusterd', 'systemctl start glusterd'])
  t.deepEqual(planOf(task, { state: { ...state, active: 'active', enabled: 'enabled' } }).changes, [])
  t.regex(planOf(task, { state: { ...state, loaded: false } }).refuse!, /not installed/)
})

test('peers: the first host probes the others by name', (t) => {
  t.deepEqual(planOf(probePeers(), { pool: [] }).commands, ['gluster --mode=script peer probe plexus'])
  t.deepEqual(planOf(probePeers(), { pool: [peer('plexus')] }).changes, [])
})

test('peers: waiting while a peer is not yet in the cluster; probing back by name', (t) => {
  t.deepEqual(planOf(peersInCluster(), { pool: [peer('plexus', 'Accepted peer request')] }).changes, ['wait for plexus: Accepted peer request'])
  t.deepEqual(planOf(peersInCluster(), { pool: [peer('plexus')] }).changes, [])
  const onPlexus = planOf(peersInCluster(), { pool: [peer('10.214.0.11')] }, { on: host('plexus') })
  t.deepEqual(onPlexus.commands, ['gluster --mode=script peer probe hydra'])
  t.deepEqual(planOf(peersInCluster(), { pool: [peer('10.214.0.11', 'Peer in Cluster', true, ['hydra'])] }, { on: host('plexus') }).changes, [])
})

test('volume: created as replica 2 across both bricks when missing', (t) => {
  t.deepEqual(planOf(volumeCreated(), { volume: undefined }).commands, [
    'gluster --mode=script volume create gv0 replica 2 hydra:/data/brick1/gv0 plexus:/data/brick1/gv0',
  ])
})

test('volume: an arbiter host adds an arbiter brick last', (t) => {
  const hosts = [host('arb', { role: 'arbiter' }), host('hydra'), host('plexus')]
  t.deepEqual(planOf(volumeCreated(), { volume: undefined }, { hosts, on: hosts[1] }).commands, [
    'gluster --mode=script volume create gv0 replica 3 arbiter 1 hydra:/data/brick1/gv0 plexus:/data/brick1/gv0 arb:/data/brick1/gv0',
  ])
})

test('volume: brick_force passes force to gluster', (t) => {
  const hosts = [host('hydra', {}, { brickForce: true }), host('plexus', {}, { brickForce: true })]
  t.regex(planOf(volumeCreated(), { volume: undefined }, { hosts }).commands![0]!, / force$/)
})

test('volume: an existing volume with other bricks is reported, never touched', (t) => {
  const other = volume({ bricks: [{ host: 'hydra', path: '/srv/old', arbiter: false }, { host: 'plexus', path: '/data/brick1/gv0', arbiter: false }] })
  const refusal = planOf(volumeCreated(), { volume: other }).refuse!
  t.regex(refusal, /already exists as Replicate replica 2 with bricks hydra:\/srv\/old/)
  t.regex(refusal, /nothing is ever destroyed automatically/)
  t.regex(planOf(volumeCreated(), { volume: volume({ replicaCount: 3 }) }).refuse!, /replica 3/)
  t.deepEqual(planOf(volumeCreated(), { volume: volume() }).changes, [])
})

test('volume: started when stopped', (t) => {
  t.deepEqual(planOf(volumeStarted(), { volume: volume({ started: false }) }).commands, ['gluster --mode=script volume start gv0'])
  t.deepEqual(planOf(volumeStarted(), { volume: volume() }).changes, [])
})

test('volume options: WAN defaults, inventory overrides, only differing ones are set', (t) => {
  const hosts = [host('hydra', {}, { glusterOptions: { 'performance.cache-size': '256MB' } }), host('plexus')]
  const wanted = wantedOptions(hosts, hosts[0]!.settings)
  t.is(wanted['cluster.quorum-type'], 'fixed')
  t.is(wanted['cluster.quorum-count'], '2')
  // a cut-off client's connection (and its locks) must be gone on the brick before the client reconnects
  t.is(wanted['network.ping-timeout'], '10')
  t.is(wanted['server.tcp-user-timeout'], '10')
  t.is(wanted['server.keepalive-time'], '10')
  t.is(wanted['server.keepalive-count'], '3')
  t.is(wanted['cluster.heal-timeout'], '60')
  const current = { ...wanted, 'performance.cache-size': '32MB', 'cluster.server-quorum-type': 'off' }
  t.deepEqual(planOf(volumeOptionsSet(), { current }, { hosts }).commands, [
    'gluster --mode=script volume set gv0 cluster.server-quorum-type none',
    'gluster --mode=script volume set gv0 performance.cache-size 256MB',
  ])
  t.true(sameOption('on', 'true'))
  t.true(sameOption('off', 'disable'))
  t.false(sameOption('on', 'off'))
})

test('preflight: refuses a missing data disk or a brick on the root file system, unless forced', (t) => {
  const ok = { disk: mount('/data', 'ext4', '/dev/loop0'), brickFs: mount('/data', 'ext4'), cacheFs: mount('/data', 'ext4') }
  t.deepEqual(planOf(storagePreflight(), ok).changes, [])
  t.regex(planOf(storagePreflight(), { ...ok, disk: undefined }).refuse!, /data disk \/data is not mounted/)
  t.regex(planOf(storagePreflight(), { ...ok, brickFs: mount('/', 'ext4') }).refuse!, /root file system.*brick_force: true/)
  t.regex(planOf(storagePreflight(), { ...ok, cacheFs: mount('/', 'overlay') }).refuse!, /overlay/)
  const forced = [host('hydra', {}, { brickForce: true }), host('plexus')]
  t.deepEqual(planOf(storagePreflight(), { ...ok, disk: undefined }, { hosts: forced }).changes, [])
})

test('mounts: started through the unit; a foreign mount is reported', (t) => {
  const task = mounted('gv0', () => ({ path: '/gfs/gv0', fstype: 'fuse.glusterfs' }))
  t.deepEqual(planOf(task, { current: undefined }).commands, ['systemctl start gfs-gv0.mount'])
  t.deepEqual(planOf(task, { current: mount('/gfs/gv0', 'fuse.glusterfs') }).changes, [])
  t.regex(planOf(task, { current: mount('/gfs/gv0', 'nfs', 'nas:/x') }).refuse!, /nas:\/x \(nfs\) mounted instead/)
})

test('mount unit names follow systemd-escape', (t) => {
  t.is(mountUnitName('/gfs/union'), 'gfs-union.mount')
  t.is(mountUnitName('/mnt/my-dir/'), 'mnt-my\\x2ddir.mount')
  t.is(mountUnitName('/srv/a b'), 'srv-a\\x20b.mount')
  t.is(mountUnitName('/.hidden'), '\\x2ehidden.mount')
})

test('union mount point: made immutable only while nothing is mounted', (t) => {
  const task = immutableMountPoint('mp', () => '/gfs/union')
  const dir = { exists: true, type: 'directory', mode: 0o755, owner: 'root', group: 'root', immutable: false }
  t.deepEqual(planOf(task, { current: undefined, dir }).commands, ['mkdir -p -- /gfs/union && chattr +i -- /gfs/union'])
  t.deepEqual(planOf(task, { current: undefined, dir: { ...dir, immutable: true } }).changes, [])
  t.deepEqual(planOf(task, { current: mount('/gfs/union', 'overlay'), dir }).changes, [])
})

test('gv0 in fstab: mounted with acl (the agent copies POSIX ACLs); an old line is replaced once, then nothing changes', (t) => {
  const task = fstabEntry('gv0 in /etc/fstab', gv0FstabEntry)
  const old = '# root\nUUID=1 / ext4 defaults 0 1\nhydra:/gv0 /gfs/gv0 glusterfs defaults,_netdev,backup-volfile-servers=plexus 0 0\n'
  const wanted =
    '# root\nUUID=1 / ext4 defaults 0 1\n' +
    'hydra:/gv0 /gfs/gv0 glusterfs defaults,_netdev,acl,backup-volfile-servers=plexus,' +
    'x-systemd.requires=glusterd.service,x-systemd.after=glusterd.service 0 0\n'
  const first = planOf(task, { fstab: { exists: true, mode: 0o644, content: old } })
  t.deepEqual(first.changes, ['set /gfs/gv0 in /etc/fstab'])
  t.deepEqual(first.commands, [`write /etc/fstab (${Buffer.byteLength(wanted)} bytes, mode 644)`, 'systemctl daemon-reload'])
  t.deepEqual(planOf(task, { fstab: { exists: true, mode: 0o644, content: wanted } }).changes, [])
})

test('fstab: one line per mount point, other lines untouched', (t) => {
  const before = '# root\nUUID=1 / ext4 defaults 0 1\nold:/gv0 /gfs/gv0 glusterfs defaults 0 0\n'
  const after = withFstabLine(before, '/gfs/gv0', 'hydra:/gv0 /gfs/gv0 glusterfs defaults,_netdev 0 0')
  t.is(after, '# root\nUUID=1 / ext4 defaults 0 1\nhydra:/gv0 /gfs/gv0 glusterfs defaults,_netdev 0 0\n')
  t.is(withFstabLine(after, '/gfs/gv0', 'hydra:/gv0 /gfs/gv0 glusterfs defaults,_netdev 0 0'), after)
  t.is(withFstabLine('', '/x', 'a /x t o 0 0'), 'a /x t o 0 0\n')
})

test('gv0 mounted without acl (an older playbook) is released so that it is mounted again with it', (t) => {
  const fuse = (options: string[]): Mount => ({ target: '/gfs/gv0', source: 'hydra:/gv0', fstype: 'fuse.glusterfs', options })
  const union: Mount = { target: '/gfs/union', source: 'overlay', fstype: 'overlay', options: [] }
  const agent = { active: 'active' } as never
  const old = planOf(gv0AclMount(), { gv0: fuse(['rw', 'default_permissions', 'allow_other']), union, agent })
  t.deepEqual(old.changes, [
    'stop gfs-writecache.service before the union is unmounted',
    'unmount /gfs/union (cached data stays in /data/writecache/upper)',
    'unmount /gfs/gv0 to mount it again with acl',
  ])
  t.deepEqual(old.commands, ['systemctl stop gfs-writecache.service', 'umount -- /gfs/union', 'umount -- /gfs/gv0'])
  t.deepEqual(planOf(gv0AclMount(), { gv0: fuse(['rw', 'allow_other']), union, agent }).changes, [])
  t.deepEqual(planOf(gv0AclMount(), { gv0: undefined, union: undefined, agent }).changes, [])
})

test('sysctl: SYN retries lowered in sysctl.d and in the running kernel; nothing to do once both are set', (t) => {
  const wanted = sysctlFile()
  t.regex(wanted, /^net\.ipv4\.tcp_syn_retries = 3$/m)
  const missing = { exists: false, content: '', mode: 0 }
  const written = { exists: true, content: wanted, mode: 0o644 }
  t.deepEqual(planOf(sysctlsApplied(), { file: missing, live: { 'net.ipv4.tcp_syn_retries': '6' } }).changes, [
    `create ${SYSCTL_FILE}`,
    'set net.ipv4.tcp_syn_retries = 3 (was 6)',
  ])
  t.deepEqual(planOf(sysctlsApplied(), { file: missing, live: { 'net.ipv4.tcp_syn_retries': '6' } }).commands!.slice(1), ['sysctl -w net.ipv4.tcp_syn_retries=3'])
  // the file alone is not enough (sysctl.d is read at boot), nor the running value alone
  t.deepEqual(planOf(sysctlsApplied(), { file: written, live: { 'net.ipv4.tcp_syn_retries': '6' } }).changes, ['set net.ipv4.tcp_syn_retries = 3 (was 6)'])
  t.deepEqual(planOf(sysctlsApplied(), { file: { ...written, content: '# old\n' }, live: { 'net.ipv4.tcp_syn_retries': '3' } }).changes, [`update ${SYSCTL_FILE}`])
  t.deepEqual(planOf(sysctlsApplied(), { file: written, live: { 'net.ipv4.tcp_syn_retries': '3' } }).changes, [])
})
