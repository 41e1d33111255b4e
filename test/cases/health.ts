// Cases for the status playbook's read-only checks: each says what it found, unhealthy ones refuse.
import type { TaskSuite } from '../helpers/task-cases.ts'
import { heal, mount, peer, unit, volume } from './facts.ts'

const report = {
  version: '1', running: true, union: { path: '/gfs/union', mounted: true }, lastPublish: null, errors: [], conflicts: 0,
  pending: { entries: 2, bytes: 1048576, oldestAgeSeconds: 3 }, cache: { usedPercent: 10, highWatermarkPercent: 90, lowWatermarkPercent: 70 },
}
const oneBrick = [{ host: 'hydra', path: '/data/brick1/gv0', online: true, pid: 1 }]
const union = mount('/gfs/union', 'overlay', 'overlay', ['rw', 'lowerdir=/gfs/gv0'])

export const healthSuites: TaskSuite[] = [
  {
    task: 'glusterd',
    cases: [
      { name: 'active and enabled', facts: { unit: unit('active') }, reason: /active, enabled/ },
      { name: 'stopped', facts: { unit: unit('inactive') }, refuse: /glusterd is inactive/ },
    ],
  },
  {
    task: 'peers',
    cases: [
      { name: 'connected', facts: { pool: [peer('plexus')] }, reason: /plexus: connected/ },
      { name: 'disconnected', facts: { pool: [peer('plexus', 'Peer in Cluster', false)] }, refuse: /not connected to plexus/ },
    ],
  },
  {
    task: 'volume',
    cases: [
      { name: 'started, bricks online', facts: { info: volume(), bricks: [...oneBrick, { ...oneBrick[0]!, host: 'plexus' }] }, reason: /bricks online 2\/2/ },
      { name: 'a brick down', facts: { info: volume(), bricks: oneBrick }, refuse: /bricks online 1\/2 \(down: plexus:\/data\/brick1\/gv0\)/ },
      {
        name: 'the arbiter\'s brick down is named as the arbiter',
        facts: {
          info: volume({ replicaCount: 3, arbiterCount: 1, bricks: [...volume().bricks, { host: 'arb', path: '/data/brick1/gv0', arbiter: true }] }),
          bricks: [...oneBrick, { ...oneBrick[0]!, host: 'plexus' }],
        },
        refuse: /replica 3 arbiter 1, bricks online 2\/3 \(down: arb:\/data\/brick1\/gv0 \(arbiter\)\)/,
      },
      { name: 'stopped', facts: { info: volume({ started: false }), bricks: oneBrick }, refuse: /STOPPED/ },
    ],
  },
  {
    task: 'heal',
    cases: [
      { name: 'nothing pending', facts: { state: { bricks: heal(0), splitBrainFiles: [] } }, reason: /0 pending heal, 0 in split brain/ },
      { name: 'split brain', facts: { state: { bricks: heal(0, 2), splitBrainFiles: [] } }, refuse: /2 in split brain/ },
    ],
  },
  {
    task: 'mounts',
    cases: [
      { name: 'both mounted', facts: { gv0: mount('/gfs/gv0', 'fuse.glusterfs', 'hydra:/gv0'), union }, reason: /\/gfs\/gv0 \(hydra:\/gv0\) and \/gfs\/union mounted/ },
      { name: 'the union with unsafe options', facts: { gv0: mount('/gfs/gv0', 'fuse.glusterfs'), union: { ...union, options: ['rw', 'index=on'] } }, refuse: /mounted with index=on/ },
      { name: 'nothing mounted', facts: { gv0: undefined, union: undefined }, refuse: /\/gfs\/gv0 not mounted; \/gfs\/union not mounted/ },
    ],
  },
  {
    task: 'flush agent',
    cases: [
      { name: 'running', facts: { report }, reason: /running 1; pending 2 entries \(1.0 MiB, oldest 3 s\)/ },
      { name: 'not running', facts: { report: { ...report, running: false } }, refuse: /agent not running/ },
      {
        name: 'critical by the host\'s thresholds (split brain)',
        facts: { report: { ...report, health: { state: 'critical', code: 2, reasons: [{ level: 'critical', message: '3 entries in split brain' }, { level: 'warning', message: '2 pending heals' }] } } },
        refuse: /^status CRITICAL: 3 entries in split brain \(running/,
      },
      { name: 'a warning by the host\'s thresholds is reported, not failed', facts: { report: { ...report, health: { state: 'warning', code: 1, reasons: [{ level: 'warning', message: '2 pending heals' }] } } }, reason: /^running 1;/ },
      { name: 'above the high watermark', facts: { report: { ...report, cache: { ...report.cache, usedPercent: 95 } } }, refuse: /high watermark/ },
      { name: 'not installed', facts: { report: undefined }, refuse: /not installed/ },
    ],
  },
]
