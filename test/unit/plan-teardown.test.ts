// Teardown's plans: what each step does and refuses, and its switches on the command line.
import test from 'ava'
import { parseCli } from '../../src/cli/args.ts'
import { withSwitches } from '../../src/cli/playbooks.ts'
import type { Task } from '../../src/engine/task.ts'
import { teardownTasks, withoutFstabLine, type TeardownOptions } from '../../src/tasks/teardown.ts'
import teardownPlaybook, { teardown } from '../../playbooks/teardown.ts'
import status from '../../playbooks/status.ts'
import { checkCase, type TaskSuite } from '../helpers/task-cases.ts'
import { dir, file, missingPath, mount, unit, volume } from '../cases/facts.ts'

const plain: TeardownOptions = { force: false, deleteVolume: false, deleteData: false }
const taskOf = (name: string, o: TeardownOptions = plain): Task => teardownTasks(o).find((t) => t.name === name)!
const report = (entries: number, problem: string | null = null) => ({ pending: { entries, bytes: entries * 1048576, oldestAgeSeconds: 3 }, lower: { path: '/gfs/gv0', problem } })
const units = (active: string, enabled = 'enabled') => ['gfs-writecache.service', 'gfs-union.mount', 'gfs-writecache-prepare.service'].map((name) => unit(active, { name, enabled }))
const union = mount('/gfs/union', 'overlay', 'overlay')
const gv0 = mount('/gfs/gv0', 'fuse.glusterfs', 'hydra:/gv0')

const suites: TaskSuite[] = [
  {
    task: taskOf('final flush'),
    cases: [
      { name: 'pending entries are published first', facts: { report: report(2) }, changes: ['publish 2 entries (2.0 MiB)'], after: { report: report(0) } },
      { name: 'refused at once while gv0 cannot take them', facts: { report: report(2, '/gfs/gv0 unreachable: ENOTCONN') }, refuse: /2 entries .* pending and gv0 cannot take them now.*--force/ },
      { name: 'nothing pending', facts: { report: report(0) }, reason: /nothing pending/ },
      { name: 'nothing pending after a walk of the cache', facts: { report: { ...report(0), rescanned: true } }, reason: /nothing pending/ },
      {
        name: 'a busy agent could not walk its cache: flushed all the same',
        facts: { report: { ...report(0), rescanned: false } },
        changes: ['publish what the busy agent has not counted yet'],
        after: { report: { ...report(0), rescanned: true } },
      },
      { name: 'no agent', facts: { report: undefined }, reason: /not installed/ },
    ],
  },
  {
    task: taskOf('final flush', { ...plain, force: true }),
    cases: [{ name: '--force with gv0 away keeps them in the cache', facts: { report: report(1, 'ENOTCONN') }, reason: /--force: they stay in the cache/ }],
  },
  {
    task: taskOf('nothing left to publish'),
    cases: [
      { name: 'what the flush could not publish is refused', facts: { report: report(1) }, refuse: /1 entries .* still pending; run teardown with --force/ },
      { name: 'all published', facts: { report: report(0) }, reason: /nothing pending/ },
    ],
  },
  {
    task: taskOf('nothing left to publish', { force: true, deleteVolume: true, deleteData: true }),
    cases: [{ name: '--delete-data never deletes unpublished entries, even with --force', facts: { report: report(1) }, refuse: /--delete-data would delete them/ }],
  },
  {
    task: taskOf('flush agent stopped, union unmounted'),
    cases: [
      {
        name: 'agent stopped, then the union unmounted (never lazily)',
        facts: { units: units('active'), union },
        commands: ['systemctl stop gfs-writecache.service', 'systemctl stop gfs-writecache-prepare.service', 'umount -- /gfs/union || { fuser -vm /gfs/union >&2; exit 1; }'],
        after: { units: units('inactive'), union: undefined },
      },
      { name: 'something else mounted there is left alone', facts: { units: units('inactive'), union: mount('/gfs/union', 'ext4', '/dev/sdb') }, refuse: /unmount it yourself/ },
    ],
  },
  {
    task: taskOf('flush agent removed'),
    cases: [
      {
        name: 'units disabled and removed, program, command and config removed, mount point gone',
        facts: { units: units('inactive'), files: file('x'), program: file('x'), link: file('x'), config: file('x'), doc: file('x'), unitFiles: file('x'), prepareFile: file('x'), mountPoint: dir(0o755, { immutable: true }), union: undefined },
        changes: [
          'disable gfs-writecache.service gfs-union.mount gfs-writecache-prepare.service',
          'remove /etc/systemd/system/gfs-writecache.service /etc/systemd/system/gfs-union.mount /etc/systemd/system/gfs-writecache-prepare.service',
          'remove /usr/local/lib/gfs-writecache /usr/local/bin/gfs-writecache /etc/gfs-writecache /usr/local/share/doc/gfs-writecache',
          'remove the mount point /gfs/union',
        ],
        after: { units: units('inactive', ''), files: file(), program: missingPath, link: missingPath, config: missingPath, doc: missingPath, unitFiles: missingPath, prepareFile: missingPath, mountPoint: missingPath },
      },
    ],
  },
  {
    task: taskOf('union lower client removed'),
    cases: [
      {
        name: "the union's gv0 client unmounted and its unit removed",
        facts: { mount: { fstype: 'fuse.glusterfs', source: 'hydra:/gv0', dead: false }, unit: file('x') },
        changes: ['unmount /run/gfs-writecache-union-lower', 'remove /etc/systemd/system/run-gfs\\x2dwritecache\\x2dunion\\x2dlower.mount'],
        after: { mount: null, unit: file() },
      },
      { name: 'a foreign mount is left alone', facts: { mount: { fstype: 'tmpfs', source: 'tmpfs', dead: false }, unit: file() }, refuse: /not gv0/ },
    ],
  },
  {
    task: taskOf('gv0 unmounted'),
    cases: [
      { name: 'unmounted', facts: { gv0 }, changes: ['unmount /gfs/gv0'], after: { gv0: undefined } },
      { name: 'a foreign mount is left alone', facts: { gv0: mount('/gfs/gv0', 'nfs4') }, refuse: /not gv0/ },
    ],
  },
  {
    task: taskOf('gv0 not in /etc/fstab'),
    cases: [
      {
        name: "gv0's line removed, others kept",
        facts: { fstab: file('# keep\n/dev/sda1 / ext4 defaults 0 1\nhydra:/gv0 /gfs/gv0 glusterfs defaults,_netdev 0 0\n') },
        commands: ['write /etc/fstab (37 bytes, mode 644)', 'systemctl daemon-reload'],
        after: { fstab: file('# keep\n/dev/sda1 / ext4 defaults 0 1\n') },
      },
    ],
  },
  {
    task: taskOf('volume deleted', { ...plain, deleteVolume: true }),
    cases: [
      { name: 'stopped, then deleted', facts: { volume: volume() }, commands: ['gluster --mode=script volume stop gv0', 'gluster --mode=script volume delete gv0'], after: { volume: undefined } },
    ],
  },
  {
    task: taskOf('brick data deleted', { force: false, deleteVolume: true, deleteData: true }),
    cases: [
      { name: 'deleted once the volume is gone', facts: { volume: undefined, brick: dir() }, commands: ['rm -rf -- /data/brick1/gv0'], after: { brick: missingPath } },
      { name: 'never while the volume exists', facts: { volume: volume(), brick: dir() }, refuse: /still exists/ },
    ],
  },
]

for (const suite of suites)
  for (const c of suite.cases) test(`${(suite.task as Task).name}: ${c.name}`, (t) => checkCase(t, suite.task as Task, suite, c))

test('volume, brick data and cache are kept unless named', (t) => {
  for (const name of ['volume deleted', 'brick data deleted', 'cache deleted']) t.regex(String(taskOf(name).when!({} as never)), /kept \(only --delete-/)
})

test('fstab: only the mount point in question goes, comments stay', (t) => {
  t.is(withoutFstabLine('# /gfs/gv0 note\na /gfs/gv0 glusterfs o 0 0\nb /gfs/gv0x t o 0 0\n', '/gfs/gv0'), '# /gfs/gv0 note\nb /gfs/gv0x t o 0 0\n')
})

test('switches: teardown takes them, other playbooks refuse them, --delete-data needs --delete-volume', (t) => {
  const o = parseCli(['teardown', '-i', 'home', '--force', '--delete-volume'])
  t.deepEqual(o.switches, { force: true, 'delete-volume': true })
  const configured = withSwitches(teardownPlaybook, o.switches)
  t.is(configured.tasks.find((x) => x.name === 'volume deleted')!.when!({} as never), true)
  t.deepEqual(parseCli(['-i', 'home']).switches, {})
  t.throws(() => withSwitches(status, { 'delete-data': true }), { message: /--delete-data is not an option of the status playbook/ })
  t.throws(() => teardown({ force: false, deleteVolume: false, deleteData: true }), { message: /--delete-volume too/ })
  t.true(teardownPlaybook.anyErrorsFatal, 'a refusal on one host stops the others')
})
