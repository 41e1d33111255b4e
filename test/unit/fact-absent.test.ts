// A fact reads "absent" only from the answer that means absent; a command that could not answer
// (127 not found, 126, 255, a permission error) fails the host with its own words instead.
import test from 'ava'
import { writeFileSync, chmodSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { ExecCommand } from '../../src/engine/command.ts'
import { localExecutor } from '../../src/engine/local-executor.ts'
import type { Result } from '../../src/engine/result.ts'
import type { Fact } from '../../src/engine/task.ts'
import { parseAgentReport, agentReport } from '../../src/facts/agent.ts'
import { brickIdentity, parseBrickIdentity } from '../../src/facts/bricks.ts'
import { fileDigest, parseDigest, parseStat, pathState, dirWithAttrs, parseFileContent } from '../../src/facts/files.ts'
import { mountAt, parseFindmnt } from '../../src/facts/mounts.ts'
import { installedPackages, parseDpkgQuery } from '../../src/facts/packages.ts'
import { parseSysctl } from '../../src/facts/sysctl.ts'
import { parseDigests, parseMaterial } from '../../src/facts/tls.ts'
import { tempDir } from '../helpers/temp.ts'

const out = (exitCode: number, stdout = '', stderr = ''): Result => ({ host: 'h', command: 'probe', exitCode, stdout, stderr, durationMs: 0 })
const notFound = (tool: string) => out(127, '', `sh: 1: ${tool}: not found\n`)

/** Run a fact's real command on this machine, optionally with `bin` first on PATH (stand-in programs). */
async function read<T>(f: Fact<T>, bin?: string, only = false): Promise<T> {
  const command = f.command as ExecCommand
  const script = bin ? `PATH=${bin}:${only ? '/usr/bin:/bin' : '$PATH'}\n${command.script}` : command.script
  return f.parse(await localExecutor('h').run({ ...command, script }))
}

/** A directory of stand-in programs: name -> shell body. */
function stubs(programs: Record<string, string>): string {
  const dir = tempDir('gfs-stubs-')
  for (const [name, body] of Object.entries(programs)) {
    writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`)
    chmodSync(join(dir, name), 0o755)
  }
  return dir
}

test('stat: a missing path is absent, a stat that cannot run is an error', async (t) => {
  const dir = tempDir('gfs-fact-')
  t.like(await read(pathState(join(dir, 'nope'))), { exists: false, type: 'missing' })
  t.like(await read(pathState(dir)), { exists: true, type: 'directory' })
  t.like(await read(dirWithAttrs(join(dir, 'nope'))), { exists: false })
  const broken = stubs({ stat: 'echo "stat: cannot statx: Permission denied" >&2; exit 1' })
  await t.throwsAsync(read(pathState(dir), broken), { message: /exit 1: stat: cannot statx: Permission denied/ })
  await t.throwsAsync(read(dirWithAttrs(dir), broken), { message: /Permission denied/ })
  t.throws(() => parseStat(notFound('stat')), { message: /exit 127: sh: 1: stat: not found/ })
  t.throws(() => parseStat(out(255)), { message: /exit 255/ })
})

test('file content: only the "missing" answer is a missing file', (t) => {
  t.deepEqual(parseFileContent(out(0, 'missing\n')), { exists: false, content: '', mode: 0 })
  t.throws(() => parseFileContent(notFound('cat')), { message: /exit 127: sh: 1: cat: not found/ })
})

test('digest: a missing file is undefined, a failed sha256sum is an error', async (t) => {
  const dir = tempDir('gfs-fact-')
  writeFileSync(join(dir, 'f'), 'abc')
  t.is(await read(fileDigest(join(dir, 'f'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
  t.is(await read(fileDigest(join(dir, 'nope'))), undefined)
  await t.throwsAsync(read(fileDigest(join(dir, 'f')), stubs({ sha256sum: 'echo "sha256sum: f: Input/output error" >&2; exit 1' })), {
    message: /Input\/output error/,
  })
  t.throws(() => parseDigest(notFound('sha256sum')), { message: /exit 127/ })
  t.throws(() => parseDigest(out(0, 'garbage\n')), { message: /garbage/ })
})

test('mounts: findmnt\'s silent exit 1 is "nothing mounted", anything else is an error', async (t) => {
  t.deepEqual(parseFindmnt(out(1)), [])
  t.deepEqual(await read(mountAt(tempDir('gfs-fact-'))), undefined)
  t.throws(() => parseFindmnt(notFound('findmnt')), { message: /exit 127: sh: 1: findmnt: not found/ })
  t.throws(() => parseFindmnt(out(1, '', 'findmnt: cannot open /proc/self/mountinfo')), { message: /mountinfo/ })
  t.throws(() => parseFindmnt(out(255)), { message: /exit 255/ })
})

test('packages: unknown names are not installed; a dpkg-query that fails otherwise is an error', async (t) => {
  const here = await read(installedPackages(['coreutils', 'no-such-package-gfs']))
  t.true(here.has('coreutils'))
  t.false(here.has('no-such-package-gfs'))
  await t.throwsAsync(read(installedPackages(['coreutils']), stubs({ 'dpkg-query': 'echo "dpkg-query: error: cannot open /var/lib/dpkg/status" >&2; exit 2' })), {
    message: /exit 2: dpkg-query: error: cannot open/,
  })
  const listed = out(1, 'glusterfs-server\tinstalled\t10.3-5\n', 'dpkg-query: no packages found matching attr\n')
  t.deepEqual([...parseDpkgQuery(listed)], [['glusterfs-server', '10.3-5']])
  t.throws(() => parseDpkgQuery(notFound('dpkg-query')), { message: /exit 127/ })
  t.throws(() => parseDpkgQuery(out(2, '', 'dpkg-query: error: parsing file \'/var/lib/dpkg/status\'')), { message: /parsing file/ })
  t.throws(() => parseDpkgQuery(out(1, '', 'dpkg-query: no packages found matching x\ndpkg-query: error: cannot access archive')), { message: /cannot access/ })
})

test('sysctl: unknown keys are left out by -e; a failed sysctl is an error, not "every value differs"', (t) => {
  t.deepEqual(parseSysctl(out(0, 'vm.swappiness = 10\n')), { 'vm.swappiness': '10' })
  t.throws(() => parseSysctl(notFound('sysctl')), { message: /exit 127: sh: 1: sysctl: not found/ })
  t.throws(() => parseSysctl(out(255, '', 'sysctl: permission denied on key "net.core.x"')), { message: /permission denied/ })
})

test('brick identity: only getfattr\'s "No such attribute" means no volume-id', async (t) => {
  const brick = tempDir('gfs-brick-')
  mkdirSync(join(brick, 'data'))
  const noAttribute = stubs({ getfattr: 'echo "$5: trusted.glusterfs.volume-id: No such attribute" >&2; exit 1' })
  t.deepEqual(await read(brickIdentity(brick), noAttribute), { exists: true, volumeId: undefined, hasData: true })
  const hasId = stubs({ getfattr: 'echo "# file: x"; echo "trusted.glusterfs.volume-id=0x0123456789abcdef0123456789abcdef"' })
  t.is((await read(brickIdentity(brick), hasId)).volumeId, '01234567-89ab-cdef-0123-456789abcdef')
  const unsupported = stubs({ getfattr: 'echo "$5: trusted.glusterfs.volume-id: Operation not supported" >&2; exit 1' })
  await t.throwsAsync(read(brickIdentity(brick), unsupported), { message: /Operation not supported/ })
  const missing = stubs({ getfattr: 'echo "getfattr: not found" >&2; exit 127' })
  await t.throwsAsync(read(brickIdentity(brick), missing), { message: /exit 127: getfattr: not found/ })
  t.throws(() => parseBrickIdentity(out(255, '', 'connection lost')), { message: /exit 255: connection lost/ })
})

test('TLS: material not issued yet is absent, a CA that cannot be read is an error', (t) => {
  t.is(parseMaterial(out(0, 'missing\n')), undefined)
  t.throws(() => parseMaterial(out(1, '', 'cat: ca.pem: Permission denied')), { message: /Permission denied/ })
  t.deepEqual(parseDigests(out(0, `${'a'.repeat(64)}  /etc/ssl/glusterfs.pem\n`)), { '/etc/ssl/glusterfs.pem': 'a'.repeat(64) })
  t.throws(() => parseDigests(out(1, '', 'sha256sum: /etc/ssl/glusterfs.key: Permission denied')), { message: /Permission denied/ })
})

test('agent report: not installed only when the command is not there; a failing agent says why', async (t) => {
  t.is(await read(agentReport(), stubs({}), true), undefined)
  const broken = stubs({ 'gfs-writecache': 'echo "/etc/gfs-writecache/config.json: cannot read config (ENOENT)" >&2; exit 2' })
  await t.throwsAsync(read(agentReport(), broken, true), { message: /exit 2: \/etc\/gfs-writecache\/config.json: cannot read config/ })
  const running = stubs({ 'gfs-writecache': 'echo \'{"version":"1","running":true}\'' })
  t.like(await read(agentReport(), running, true), { running: true })
  t.is(parseAgentReport(out(0, 'missing\n')), undefined)
  t.throws(() => parseAgentReport(out(2, '', '/etc/gfs-writecache/config.json: cannot read config (ENOENT)')), { message: /cannot read config/ })
  t.throws(() => parseAgentReport(out(127, '', "/usr/bin/env: 'node': No such file or directory")), { message: /'node': No such file/ })
  t.like(parseAgentReport(out(0, '{"running":true}')), { running: true })
})
