// Cases for the appliance's storage, package, kernel, service, gluster, file and mount tasks.
import { wantedOptions } from '../../src/tasks/gluster.ts'
import { packages } from '../../src/tasks/packages.ts'
import { sysctlFile, SYSCTL_FILE } from '../../src/tasks/sysctl.ts'
import { service } from '../../src/tasks/systemd.ts'
import { hostPackages } from '../../src/tasks/appliance.ts'
import { host } from '../helpers/hosts.ts'
import type { TaskSuite } from '../helpers/task-cases.ts'
import { brickStatus, dir, file, missingPath, mount, peer, unit, volume } from './facts.ts'

const disk = { disk: mount('/data', 'ext4', '/dev/loop0'), brickFs: mount('/data', 'ext4'), cacheFs: mount('/data', 'ext4') }
const installed = (names: string[]) => new Map(names.map((n) => [n, '1']))
const glusterd = unit('inactive', { sub: 'dead', enabled: 'disabled' })
const fstabBefore = '# root\nUUID=1 / ext4 defaults 0 1\nhydra:/gv0 /gfs/gv0 glusterfs defaults,_netdev,backup-volfile-servers=plexus 0 0\n'
const fstabWanted =
  '# root\nUUID=1 / ext4 defaults 0 1\n' +
  'hydra:/gv0 /gfs/gv0 glusterfs defaults,_netdev,acl,backup-volfile-servers=plexus,' +
  'x-systemd.requires=glusterd.service,x-systemd.after=glusterd.service 0 0\n'
const optionHosts = [host('hydra', {}, { glusterOptions: { 'performance.cache-size': '256MB' } }), host('plexus')]
const wanted = wantedOptions(optionHosts, optionHosts[0]!.settings)
const fuse = (options: string[]) => mount('/gfs/gv0', 'fuse.glusterfs', 'hydra:/gv0', options)
const union = mount('/gfs/union', 'overlay', 'overlay')
const gv0Unmounted = { current: undefined, bricks: brickStatus(true), attempt: { active: 'inactive', result: 'success' } }
const gv0Up = { current: mount('/gfs/gv0', 'fuse.glusterfs', 'hydra:/gv0'), bricks: undefined }
const arbiterHosts = [host('arb', { role: 'arbiter' }), host('hydra'), host('plexus')]
const arbiterVolume = () =>
  volume({ replicaCount: 3, arbiterCount: 1, bricks: [...volume().bricks, { host: 'arb', path: '/data/brick1/gv0', arbiter: true }] })
const arbiterWanted = wantedOptions(arbiterHosts, arbiterHosts[0]!.settings)
const forcedHosts = [host('hydra', {}, { brickForce: true }), host('plexus', {}, { brickForce: true })]

export const siteSuites: TaskSuite[] = [
  {
    task: 'data disk and brick location',
    cases: [
      { name: 'the data disk is mounted and holds brick and cache', facts: disk, reason: /\/data is \/dev\/loop0 \(ext4\)/ },
      { name: 'no data disk', facts: { ...disk, disk: undefined }, refuse: /data disk \/data is not mounted/ },
      { name: 'brick on the root file system', facts: { ...disk, brickFs: mount('/', 'ext4') }, refuse: /root file system.*brick_force: true/ },
      { name: 'cache on overlayfs', facts: { ...disk, cacheFs: mount('/', 'overlay') }, refuse: /overlay/ },
      { name: 'brick_force skips the checks', facts: { ...disk, disk: undefined }, hosts: [host('hydra', {}, { brickForce: true }), host('plexus')], reason: /brick_force/ },
    ],
  },
  {
    task: 'packages installed',
    cases: [
      { name: 'bare host: everything installed', facts: { installed: installed([]) }, changes: [`install ${hostPackages.join(', ')}`], after: { installed: installed(hostPackages) } },
      { name: 'all there', facts: { installed: installed(hostPackages) }, reason: /installed: glusterfs-server/ },
    ],
  },
  {
    task: packages('p', ['glusterfs-server', 'attr']),
    cases: [
      { name: 'only the missing ones are installed', facts: { installed: installed(['attr']) }, changes: ['install glusterfs-server'], after: { installed: installed(['attr', 'glusterfs-server']) } },
    ],
  },
  {
    task: 'kernel settings (sysctl)',
    cases: [
      {
        name: 'neither file nor running value',
        facts: { file: file(), live: { 'net.ipv4.tcp_syn_retries': '6' } },
        changes: [`create ${SYSCTL_FILE}`, 'set net.ipv4.tcp_syn_retries = 3 (was 6)'],
        commands: [`write ${SYSCTL_FILE} (${Buffer.byteLength(sysctlFile())} bytes, mode 644)`, 'sysctl -w net.ipv4.tcp_syn_retries=3'],
        after: { file: file(sysctlFile()), live: { 'net.ipv4.tcp_syn_retries': '3' } },
      },
      // the file alone is not enough (sysctl.d is read at boot), nor the running value alone
      { name: 'file written, kernel not set', facts: { file: file(sysctlFile()), live: { 'net.ipv4.tcp_syn_retries': '6' } }, changes: ['set net.ipv4.tcp_syn_retries = 3 (was 6)'], after: { live: { 'net.ipv4.tcp_syn_retries': '3' } } },
      { name: 'kernel set, file old', facts: { file: file('# old\n'), live: { 'net.ipv4.tcp_syn_retries': '3' } }, changes: [`update ${SYSCTL_FILE}`], after: { file: file(sysctlFile()) } },
      { name: 'both set', facts: { file: file(sysctlFile()), live: { 'net.ipv4.tcp_syn_retries': '3' } } },
    ],
  },
  {
    task: service('glusterd', { enabled: true, started: true }),
    cases: [
      { name: 'enable and start only what is not', facts: { state: glusterd }, commands: ['systemctl enable glusterd', 'systemctl start glusterd'], after: { state: { ...glusterd, active: 'active', enabled: 'enabled' } } },
      { name: 'not installed', facts: { state: { ...glusterd, loaded: false } }, refuse: /not installed/ },
    ],
  },
  {
    task: 'glusterd enabled and running',
    cases: [
      { name: 'started only', facts: { state: unit('inactive') }, changes: ['start glusterd (was inactive)'], after: { state: unit('active') } },
      { name: 'static units count as enabled', facts: { state: unit('active', { enabled: 'static' }) }, reason: /active, static/ },
      {
        name: "a failed unit (maybe past Debian's 6 starts an hour) is reset before it is started",
        facts: { state: unit('failed') },
        commands: ['systemctl reset-failed glusterd; systemctl start glusterd'],
        after: { state: unit('active') },
      },
    ],
  },
  {
    task: 'brick directory',
    cases: [
      { name: 'created when missing', facts: { state: missingPath }, commands: ['mkdir -p -m 0755 -- /data/brick1/gv0'], after: { state: dir() } },
      { name: 'a file in its place', facts: { state: dir(0o644, { type: 'file' }) }, refuse: /is not a directory/ },
    ],
  },
  {
    task: "brick file system keeps gluster's xattrs in the inode",
    cases: [
      { name: 'in the inode (512-byte inodes): nothing to say', facts: { room: 'inode' }, reason: /in the inode/ },
      { name: 'in a block of their own: warned, never changed (test/unit/xattr-room.test.ts holds the warning)', facts: { room: 'block' }, reason: /in a block of their own/ },
      { name: 'not known before the attr package is installed', facts: { room: 'unknown' }, reason: /not known/ },
    ],
  },
  {
    task: 'gluster peers probed',
    cases: [
      { name: 'the first host probes the others by name', facts: { pool: [] }, commands: ['gluster --mode=script peer probe plexus'], after: { pool: [peer('plexus')] } },
    ],
  },
  {
    task: 'gluster peers in cluster',
    cases: [
      { name: 'waiting while a peer is not yet in the cluster', facts: { pool: [peer('plexus', 'Accepted peer request')] }, changes: ['wait for plexus: Accepted peer request'], after: { pool: [peer('plexus')] } },
      { name: 'probing back by name', on: 'plexus', facts: { pool: [peer('10.214.0.11')] }, commands: ['gluster --mode=script peer probe hydra'], after: { pool: [peer('10.214.0.11', 'Peer in Cluster', true, ['hydra'])] } },
      {
        // probing a host that joined through hydra before plexus has heard of it fails ("part of another cluster")
        name: 'a third host the first one just probed is waited for, not probed again',
        hosts: arbiterHosts,
        on: 'plexus',
        facts: { pool: [peer('hydra')] },
        changes: ['wait for arb: not in pool'],
        after: { pool: [peer('hydra'), peer('arb')] },
      },
    ],
  },
  {
    task: 'gluster volume created',
    cases: [
      {
        name: 'created as replica 2 across both bricks when missing',
        facts: { volume: undefined },
        commands: ['gluster --mode=script volume create gv0 replica 2 hydra:/data/brick1/gv0 plexus:/data/brick1/gv0'],
        after: { volume: volume({ started: false }) },
      },
      {
        name: 'an arbiter host adds an arbiter brick last',
        hosts: arbiterHosts,
        on: 'hydra',
        facts: { volume: undefined },
        commands: ['gluster --mode=script volume create gv0 replica 3 arbiter 1 hydra:/data/brick1/gv0 plexus:/data/brick1/gv0 arb:/data/brick1/gv0'],
        after: {
          volume: volume({
            replicaCount: 3,
            arbiterCount: 1,
            bricks: [...volume().bricks, { host: 'arb', path: '/data/brick1/gv0', arbiter: true }],
          }),
        },
      },
      {
        name: 'brick_force passes force to gluster',
        hosts: forcedHosts,
        facts: { volume: undefined },
        commands: ['gluster --mode=script volume create gv0 replica 2 hydra:/data/brick1/gv0 plexus:/data/brick1/gv0 force'],
        after: { volume: volume() },
      },
      {
        name: 'an existing volume with other bricks is reported, never touched',
        facts: { volume: volume({ bricks: [{ host: 'hydra', path: '/srv/old', arbiter: false }, { host: 'plexus', path: '/data/brick1/gv0', arbiter: false }] }) },
        refuse: /already exists as Replicate replica 2 with bricks hydra:\/srv\/old.*nothing is ever destroyed automatically/,
      },
      { name: 'another replica count', facts: { volume: volume({ replicaCount: 3 }) }, refuse: /replica 3/ },
      {
        name: 'a replica-2 volume and an inventory that adds an arbiter: left to the arbiter brick task',
        hosts: arbiterHosts,
        facts: { volume: volume() },
        reason: /exists: Replicate replica 2.*its arbiter brick is added by "gluster arbiter brick"/,
      },
      {
        name: 'an arbiter is never added to a volume whose data bricks differ from the inventory',
        hosts: arbiterHosts,
        facts: { volume: volume({ bricks: [{ host: 'hydra', path: '/srv/old', arbiter: false }, { host: 'plexus', path: '/data/brick1/gv0', arbiter: false }] }) },
        refuse: /already exists as Replicate replica 2 with bricks hydra:\/srv\/old.*wants replica 3/,
      },
      {
        name: 'an arbiter volume and an inventory without the arbiter: refused, with how to remove it by hand',
        facts: { volume: arbiterVolume() },
        refuse: /wants replica 2.*remove-brick gv0 replica 2 arb:\/data\/brick1\/gv0 force; gluster peer detach arb/,
      },
    ],
  },
  {
    task: 'gluster volume exists',
    cases: [
      { name: 'repair never creates the volume', facts: { volume: undefined }, refuse: /repair never creates volumes/ },
      { name: 'a replica-2 volume lacking only the arbiter brick exists', hosts: arbiterHosts, facts: { volume: volume() }, reason: /arbiter brick is added by/ },
      { name: 'there', facts: { volume: volume() }, reason: /gv0 exists/ },
    ],
  },
  {
    task: 'gluster arbiter brick',
    hosts: arbiterHosts,
    cases: [
      {
        name: 'a replica-2 volume and an inventory that adds an arbiter: add-brick and a full heal, data bricks untouched',
        facts: { volume: volume() },
        changes: ['add arbiter brick arb:/data/brick1/gv0: gv0 from replica 2 to replica 3 arbiter 1 (data bricks unchanged)'],
        commands: [
          'gluster --mode=script volume start gv0 force',
          'gluster --mode=script volume add-brick gv0 replica 3 arbiter 1 arb:/data/brick1/gv0',
          'n=0; until gluster --mode=script volume heal gv0 full; do n=$((n+1)); [ $n -lt 30 ] || exit 1; sleep 2; done',
        ],
        after: { volume: arbiterVolume() },
      },
      {
        name: 'brick_force on the arbiter passes force',
        hosts: [host('arb', { role: 'arbiter' }, { brickForce: true }), host('hydra'), host('plexus')],
        facts: { volume: volume() },
        commands: [
          'gluster --mode=script volume start gv0 force',
          'gluster --mode=script volume add-brick gv0 replica 3 arbiter 1 arb:/data/brick1/gv0 force',
          'n=0; until gluster --mode=script volume heal gv0 full; do n=$((n+1)); [ $n -lt 30 ] || exit 1; sleep 2; done',
        ],
        after: { volume: arbiterVolume() },
      },
      {
        name: 'a stopped replica-2 volume: started first (add-brick of a replica needs every brick up)',
        facts: { volume: volume({ started: false }) },
        changes: ['add arbiter brick arb:/data/brick1/gv0: gv0 from replica 2 to replica 3 arbiter 1 (data bricks unchanged)'],
        after: { volume: arbiterVolume() },
      },
      { name: 'already an arbiter volume', facts: { volume: arbiterVolume() }, reason: /replica 3 arbiter 1/ },
      {
        name: 'data bricks that differ from the inventory: never converted',
        facts: { volume: volume({ bricks: [{ host: 'hydra', path: '/srv/old', arbiter: false }, { host: 'plexus', path: '/data/brick1/gv0', arbiter: false }] }) },
        refuse: /not the inventory's replica-2 volume/,
      },
      { name: 'no volume', facts: { volume: undefined }, refuse: /does not exist/ },
    ],
  },
  {
    task: 'gluster arbiter brick present',
    hosts: arbiterHosts,
    cases: [
      { name: 'repair never adds the arbiter brick', facts: { volume: volume() }, refuse: /add arbiter brick arb.*repair never changes the volume's layout: run the site playbook/ },
      { name: 'there', facts: { volume: arbiterVolume() }, reason: /replica 3 arbiter 1/ },
    ],
  },
  {
    task: 'gluster volume started',
    cases: [
      { name: 'started when stopped', facts: { volume: volume({ started: false }) }, commands: ['gluster --mode=script volume start gv0'], after: { volume: volume() } },
      { name: 'no volume', facts: { volume: undefined }, refuse: /does not exist/ },
    ],
  },
  {
    task: 'gluster volume options',
    hosts: optionHosts,
    cases: [
      {
        name: 'WAN defaults, inventory overrides, only differing ones are set',
        facts: { current: { ...wanted, 'performance.cache-size': '32MB', 'cluster.server-quorum-type': 'off' } },
        commands: ['gluster --mode=script volume set gv0 cluster.server-quorum-type none', 'gluster --mode=script volume set gv0 performance.cache-size 256MB'],
        after: { current: wanted },
      },
      { name: 'options the inventory does not name are left alone', facts: { current: { ...wanted, 'performance.nl-cache': 'on' } }, reason: /options as wanted/ },
      {
        name: 'converted to an arbiter: quorum auto, the replica-2 quorum count reset to gluster\'s default',
        hosts: arbiterHosts,
        facts: { current: { ...wantedOptions([host('hydra'), host('plexus')], host('hydra').settings), 'cluster.quorum-count': '2' } },
        commands: ['gluster --mode=script volume set gv0 cluster.quorum-type auto', 'gluster --mode=script volume reset gv0 cluster.quorum-count'],
        after: { current: { ...arbiterWanted, 'cluster.quorum-count': '(null)' } },
      },
      {
        name: 'with an arbiter, a quorum count the inventory names is kept',
        hosts: ['arb', 'hydra', 'plexus'].map((n) => host(n, n === 'arb' ? { role: 'arbiter' } : {}, { glusterOptions: { 'cluster.quorum-count': '2' } })),
        facts: { current: { ...arbiterWanted, 'cluster.quorum-count': '2' } },
        reason: /options as wanted/,
      },
    ],
  },
  {
    task: 'gv0 in /etc/fstab',
    cases: [
      {
        name: 'mounted with acl (the agent copies POSIX ACLs); an old line is replaced once',
        facts: { fstab: file(fstabBefore) },
        changes: ['set /gfs/gv0 in /etc/fstab'],
        commands: [`write /etc/fstab (${Buffer.byteLength(fstabWanted)} bytes, mode 644)`, 'systemctl daemon-reload'],
        after: { fstab: file(fstabWanted) },
      },
    ],
  },
  {
    task: 'gv0 mounted with acl',
    cases: [
      {
        name: 'gv0 mounted without acl (an older playbook) is released so that it is mounted again with it',
        facts: { gv0: fuse(['rw', 'default_permissions', 'allow_other']), union, agent: unit('active') },
        changes: [
          'stop gfs-writecache.service before the union is unmounted',
          'unmount /gfs/union (cached data stays in /data/writecache/upper)',
          'unmount /gfs/gv0 to mount it again with acl',
        ],
        commands: ['systemctl stop gfs-writecache.service', 'umount -- /gfs/union', 'umount -- /gfs/gv0'],
        after: { gv0: undefined, union: undefined, agent: unit('inactive') },
      },
      { name: 'mounted with acl', facts: { gv0: fuse(['rw', 'allow_other']), union, agent: unit('active') }, reason: /mounted with acl/ },
    ],
  },
  {
    task: 'gv0 client alive',
    cases: [
      {
        name: 'a gv0 mount whose gluster client died (ENOTCONN for good) is let go, to be mounted again',
        facts: { gv0: fuse(['rw', 'allow_other']), union, agent: unit('active'), client: 'gone' },
        changes: [
          'stop gfs-writecache.service before the union is unmounted',
          'unmount /gfs/union (cached data stays in /data/writecache/upper)',
          'unmount /gfs/gv0 to mount it again: its gluster client is gone (ENOTCONN)',
        ],
        commands: ['systemctl stop gfs-writecache.service', 'umount -- /gfs/union', 'umount -- /gfs/gv0'],
        after: { gv0: undefined, union: undefined, agent: unit('inactive') },
      },
      { name: 'a live client, even one that cannot reach its bricks, is left alone', facts: { gv0: fuse(['rw']), union, agent: unit('active'), client: 'alive' }, reason: /live gluster client/ },
      {
        name: 'a gv0 client that lives and answers nothing is killed, then let go like a dead one',
        facts: { gv0: fuse(['rw', 'allow_other']), union, agent: unit('active'), client: 'hung' },
        changes: [
          'kill the gluster client of /gfs/gv0: it answers nothing (no answer in 20 s)',
          'stop gfs-writecache.service before the union is unmounted',
          'unmount /gfs/union (cached data stays in /data/writecache/upper)',
          'unmount /gfs/gv0 to mount it again: its gluster client hung',
        ],
        after: { gv0: undefined, union: undefined, agent: unit('inactive') },
      },
      { name: 'not mounted', facts: { gv0: undefined, union: undefined, agent: unit('inactive'), client: 'gone' }, reason: /not mounted yet/ },
    ],
  },
  {
    task: 'gv0 mounted',
    cases: [
      { name: 'started through the unit once both bricks are online', facts: gv0Unmounted, commands: ['systemctl start gfs-gv0.mount || true'], after: gv0Up },
      {
        name: 'waits while the other host\'s brick is still coming up, naming it',
        facts: { ...gv0Unmounted, bricks: brickStatus(false) },
        changes: ['wait for brick(s) plexus:/data/brick1/gv0 to come online before mounting /gfs/gv0 (is that host still starting? see `gluster volume status`)'],
        commands: [],
        after: gv0Up,
      },
      {
        name: 'waits on the second host too while the first one\'s brick is not online',
        on: 'plexus',
        facts: { ...gv0Unmounted, bricks: [{ ...brickStatus(true)[0]!, online: false, pid: null }, brickStatus(true)[1]!] },
        changes: ['wait for brick(s) hydra:/data/brick1/gv0 to come online before mounting /gfs/gv0 (is that host still starting? see `gluster volume status`)'],
        after: gv0Up,
      },
      {
        name: 'a failed try is tried again, with systemd\'s result and the client\'s last error',
        facts: { ...gv0Unmounted, attempt: { active: 'failed', result: 'exit-code', lastError: '0-gv0-client-1: failed to get the port number for remote subvolume.' } },
        changes: ['mount /gfs/gv0 (the last try failed: exit-code; client log: 0-gv0-client-1: failed to get the port number for remote subvolume.)'],
        commands: ['systemctl start gfs-gv0.mount || true'],
        after: gv0Up,
      },
      { name: 'mounted: the volume is not asked about', facts: gv0Up, reason: /\/gfs\/gv0: hydra:\/gv0 \(fuse.glusterfs\)/ },
      { name: 'a foreign mount is reported', facts: { ...gv0Unmounted, current: mount('/gfs/gv0', 'nfs', 'nas:/x'), bricks: undefined }, refuse: /nas:\/x \(nfs\) mounted instead/ },
    ],
  },
  ...['cache upper dir', 'cache work dir'].map((task) => {
    const path = task === 'cache upper dir' ? '/data/writecache/upper' : '/data/writecache/work'
    return {
      task,
      cases: [
        { name: 'created when missing', facts: { state: missingPath }, commands: [`mkdir -p -m 755 -- ${path}`], after: { state: dir() } },
        { name: 'its mode corrected', facts: { state: dir(0o700) }, commands: [`chmod 755 -- ${path}`], after: { state: dir() } },
        { name: 'a file in its place', facts: { state: dir(0o644, { type: 'file' }) }, refuse: /is a file, not a directory/ },
      ],
    }
  }),
  {
    task: 'union mount point',
    cases: [
      { name: 'made immutable while nothing is mounted', facts: { current: undefined, dir: dir(0o755, { immutable: false }) }, commands: ['mkdir -p -- /gfs/union && chattr +i -- /gfs/union'], after: { dir: dir(0o755, { immutable: true }) } },
      { name: 'a missing one is created immutable', facts: { current: undefined, dir: missingPath }, changes: ['make /gfs/union an immutable mount point'], after: { dir: dir(0o755, { immutable: true }) } },
      { name: 'left alone while mounted', facts: { current: union, dir: dir(0o755, { immutable: false }) }, reason: /mounted \(overlay\)/ },
    ],
  },
]
