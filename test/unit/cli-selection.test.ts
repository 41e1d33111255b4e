// --limit patterns, --tags/--skip-tags and the list options, as Ansible users type them.
import test from 'ava'
import { execFile } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { parseCli } from '../../src/cli/args.ts'
import { checkTags, limitHosts } from '../../src/cli/selection.ts'
import { UsageError } from '../../src/engine/errors.ts'
import { selectTasks } from '../../src/engine/play.ts'
import type { Playbook, Task } from '../../src/engine/task.ts'
import { host } from '../helpers/hosts.ts'

const repo = fileURLToPath(new URL('../../', import.meta.url))
const hosts = [
  host('hydra', { groups: ['gfs_storage', 'site_a'] }),
  host('plexus', { groups: ['gfs_storage', 'site_b'] }),
  host('witness', { groups: ['gfs_arbiter', 'site_b'], role: 'arbiter' }),
]
const names = (limit: string[]) => limitHosts(hosts, limit).map((h) => h.name)

const limits: [string, string[], string[]][] = [
  ['a host', ['plexus'], ['plexus']],
  ['hosts in inventory order', ['witness', 'hydra'], ['hydra', 'witness']],
  ['a group', ['gfs_storage'], ['hydra', 'plexus']],
  ['all but one', ['all', '!plexus'], ['hydra', 'witness']],
  ['a group minus a group', ['gfs_storage', '!site_a'], ['plexus']],
  ['an intersection', ['site_b', '&gfs_storage'], ['plexus']],
  ['a wildcard on names', ['*x*'], ['plexus']],
  ['a wildcard on groups', ['gfs_*'], ['hydra', 'plexus', 'witness']],
  ['a regex', ['~^(hy|wi)'], ['hydra', 'witness']],
  ['only exclusions', ['!hydra'], ['plexus', 'witness']],
]
for (const [title, limit, expected] of limits) {
  test(`--limit ${limit.join(',')}: ${title}`, (t) => t.deepEqual(names(limit), expected))
}

test('--limit @file reads one pattern a line, relative to the current directory', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'limit-'))
  writeFileSync(join(dir, 'retry'), '# from a failed run\nplexus\nwitness\n')
  t.deepEqual(limitHosts(hosts, ['@retry'], { cwd: dir }).map((h) => h.name), ['plexus', 'witness'])
  t.throws(() => limitHosts(hosts, ['@missing'], { cwd: dir }), { instanceOf: UsageError, message: /--limit @missing: cannot read .*missing \(ENOENT\)/ })
})

const refusedLimits: [string, string[], RegExp][] = [
  ['an empty limit', [], /--limit selects no host: it is empty/],
  ['a typo', ['hydrra'], /--limit hydrra: no host or group hydrra \(did you mean "hydra"\?\)/],
  ['a host outside the appliance', ['prometheus'], /prometheus is in the inventory but not part of the appliance/],
  ['patterns that leave nothing', ['hydra', '!gfs_storage'], /--limit hydra,!gfs_storage matches no host/],
  ['a wildcard matching nothing', ['db*'], /--limit db\* matches no host/],
]
for (const [title, limit, message] of refusedLimits) {
  test(`--limit refused: ${title}`, (t) => {
    t.throws(() => limitHosts(hosts, limit, { ignored: ['prometheus'] }), { instanceOf: UsageError, message })
  })
}

test("--limit '' is an empty limit, not 'no limit'", (t) => {
  t.deepEqual(parseCli(['-i', 'x', '--limit', '']).limit, [])
})

const task = (name: string, tags?: string[]): Task => ({ name, tags, plan: () => ({ changes: [] }) }) as unknown as Task
const tasks = [task('disk', ['always']), task('packages', ['packages']), task('volume', ['gluster']), task('heal', ['gluster', 'heal']), task('untagged')]
const playbook: Playbook = { name: 'site', description: 'd', tasks }
const run = (tags?: string[], skip?: string[]) => selectTasks(tasks, tags, skip).map((t) => t.name)

test('--tags keeps always tasks; --skip-tags removes tagged ones, always included', (t) => {
  t.deepEqual(run(['gluster']), ['disk', 'volume', 'heal'])
  t.deepEqual(run(undefined, ['heal']), ['disk', 'packages', 'volume', 'untagged'])
  t.deepEqual(run(['gluster'], ['heal']), ['disk', 'volume'])
  t.deepEqual(run(['gluster'], ['always']), ['volume', 'heal'])
  t.deepEqual(run(['untagged']), ['disk', 'untagged'])
  t.deepEqual(run(['tagged'], ['always']), ['packages', 'volume', 'heal'])
})

test('an unknown tag is an error naming the nearest one', (t) => {
  t.notThrows(() => checkTags(playbook, '--tags', ['gluster', 'always', 'all']))
  t.throws(() => checkTags(playbook, '--tags', ['glusterr']), { instanceOf: UsageError, message: '--tags glusterr: the site playbook has no such tag (did you mean "gluster"?); its tags: always, gluster, heal, packages' })
  t.throws(() => checkTags(playbook, '--skip-tags', ['nope']), { instanceOf: UsageError, message: /--skip-tags nope: the site playbook has no such tag; its tags/ })
})

const provision = async (...args: string[]) => {
  try {
    const { stdout, stderr } = await promisify(execFile)(join(repo, 'provision.mjs'), args, { cwd: repo })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

test('./provision.mjs runs as a program: --version, --help from the playbooks folder, --list-hosts, exit 64 on usage errors', async (t) => {
  const version = await provision('--version')
  t.is(version.code, 0)
  t.regex(version.stdout, /^provision\.mjs \(gfs-writecache\) \d+\.\d+\.\d+\n/)
  const help = await provision('--help')
  t.regex(help.stdout, /Playbooks: site \(default\), flush, repair, status, teardown\n/, 'the playbooks folder, as it is')
  t.regex(help.stdout, /70 internal error/)
  const list = await provision('-i', 'home', '--list-hosts', '--limit', 'all,!plexus')
  t.is(list.code, 0, list.stderr)
  t.is(list.stdout, '\nplaybook: site\n\n  play #1 (site): hosts (1):\n    hydra\n')
  const empty = await provision('-i', 'home', '--limit', '')
  t.is(empty.code, 64)
  t.regex(empty.stderr, /--limit selects no host/)
  const tag = await provision('repair', '-i', 'home', '--tags', 'glustr')
  t.is(tag.code, 64)
  t.regex(tag.stderr, /did you mean "gluster"/)
})
