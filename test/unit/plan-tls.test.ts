// What the TLS tasks' commands carry, and the TLS facts read for real (their plans are cases in test/cases/agent.ts).
import test from 'ava'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { IssuedMaterial } from '../../src/facts/tls.ts'
import { caState, issuedMaterial, parseCaState, parseDigests, parseLinks, parseMaterial } from '../../src/facts/tls.ts'
import { Secret } from '../../src/inventory/types.ts'
import { certificateInstalled, certificatesIssued, managementEncryption, volumeTls } from '../../src/tasks/tls.ts'
import { createCa, issueCertificate } from '../../src/tls/ca.ts'
import { localExecutor } from '../../src/engine/local-executor.ts'
import { host } from '../helpers/hosts.ts'
import { planOf } from '../helpers/plan.ts'

const on = { tls: true }
const hosts = [host('hydra', { address: '10.0.0.1' }, on), host('plexus', { address: '10.0.0.2' }, on)]
const plan = (task: Parameters<typeof planOf>[0], facts: Record<string, unknown>, onHost = hosts[0]) => planOf(task, facts, { hosts, on: onHost })
const result = (stdout: string, exitCode = 0) => ({ host: 'h', command: 'c', exitCode, stdout, stderr: '', durationMs: 0 })

test('certificates issued: the CA commands run on the controller and keep keys at mode 0600', (t) => {
  const task = certificatesIssued()
  const ctxHosts = hosts
  const result = task.plan({ ca: { ca: false, certificates: [] } } as never, { host: ctxHosts[0]!, hosts: ctxHosts, inventory: { file: '/x/home.yaml', hosts: ctxHosts, knownHostsFile: '', trustNewHostKeys: false }, check: false })
  if ('refuse' in result) return t.fail(result.refuse)
  const commands = result.changes.flatMap((c) => c.commands)
  t.true(commands.every((c) => c.kind === 'exec' && c.controller === true))
  t.true(commands.every((c) => c.kind === 'exec' && c.script.includes('umask 077')))
  t.regex(commands[0]!.display, /mkdir -p \/x\/home-ca/)
  t.regex(commands[1]!.display, /-subj \/CN=hydra /)
})

const material: IssuedMaterial = { ca: 'CA-PEM\n', cert: 'HYDRA-PEM\n', key: new Secret('HYDRA-KEY\n') }
const linked = { '/usr/lib/ssl/glusterfs.pem': '/etc/ssl/glusterfs.pem', '/usr/lib/ssl/glusterfs.key': '/etc/ssl/glusterfs.key', '/usr/lib/ssl/glusterfs.ca': '/etc/ssl/glusterfs.ca' }

test('certificate installed: the key is uploaded with mode 0600 and never shown (the plans are cases in test/cases/agent.ts)', (t) => {
  const fresh = plan(certificateInstalled(), { issued: material, installed: {}, links: {} })
  t.is(fresh.commands![2], 'write /etc/ssl/glusterfs.key (10 bytes, mode 600)')
  t.false(fresh.commands!.join('\n').includes('HYDRA-KEY'))
})
test('certificate installed: the key upload is marked secret', (t) => {
  const task = certificateInstalled()
  const r = task.plan({ issued: material, installed: {}, links: linked } as never, { host: hosts[0]!, hosts, inventory: { file: '/tmp/i.yaml', hosts, knownHostsFile: '', trustNewHostKeys: false }, check: false })
  if ('refuse' in r) return t.fail()
  const key = r.changes.flatMap((c) => c.commands).find((c) => c.kind === 'put' && c.path === '/etc/ssl/glusterfs.key')
  t.like(key, { kind: 'put', secret: true, mode: 0o600 })
})

test('TLS tasks are skipped when the inventory turns TLS off', (t) => {
  const off = [host('hydra', {}, { tls: false }), host('plexus', {}, { tls: false })]
  for (const task of [certificatesIssued(), certificateInstalled(), managementEncryption(), volumeTls()])
    t.is(task.when?.({ host: off[0]!, hosts: off, inventory: { file: '/i.yaml', hosts: off, knownHostsFile: '', trustNewHostKeys: false }, check: false }), 'tls is off in the inventory')
})

test('TLS fact parsers read what the commands print', (t) => {
  t.deepEqual(parseCaState(result('')), { ca: false, certificates: [] })
  const m = parseMaterial(result('--- ca\nA\n--- cert\nB\n--- key\nK\n'))
  t.is(m?.ca, 'A\n')
  t.is(m?.key.value, 'K\n')
  t.is(JSON.stringify(m?.key), '"***"')
  t.is(parseMaterial(result('missing\n')), undefined)
  t.throws(() => parseMaterial(result('', 1)))
  t.deepEqual(parseDigests(result(`${'a'.repeat(64)}  /etc/ssl/glusterfs.pem\n`)), { '/etc/ssl/glusterfs.pem': 'a'.repeat(64) })
  t.deepEqual(parseLinks(result('/usr/lib/ssl/glusterfs.pem\t/etc/ssl/glusterfs.pem\n/usr/lib/ssl/glusterfs.ca\t\n')), {
    '/usr/lib/ssl/glusterfs.pem': '/etc/ssl/glusterfs.pem',
    '/usr/lib/ssl/glusterfs.ca': '',
  })
})

test('the CA fact judges real certificates made by the CA commands', async (t) => {
  const run = (command: Parameters<ReturnType<typeof localExecutor>['run']>[0]) => localExecutor('controller').run(command)
  const dir = join(mkdtempSync(join(tmpdir(), 'gfs-ca-')), 'lab-ca')
  const other = join(mkdtempSync(join(tmpdir(), 'gfs-ca-')), 'other-ca')
  for (const c of [createCa(dir, 'lab'), issueCertificate(dir, 'hydra'), issueCertificate(dir, 'plexus'), issueCertificate(dir, 'arbiter'), createCa(other, 'other'), issueCertificate(other, 'plexus')])
    t.is((await run(c)).exitCode, 0)
  // plexus's certificate comes from another CA; arbiter's key is not the one its certificate was made for
  writeFileSync(join(dir, 'plexus.pem'), readFileSync(join(other, 'plexus.pem')))
  writeFileSync(join(dir, 'plexus.key'), readFileSync(join(other, 'plexus.key')))
  writeFileSync(join(dir, 'arbiter.key'), readFileSync(join(dir, 'hydra.key')))
  const f = caState(dir, ['hydra', 'plexus', 'arbiter', 'nobody'])
  const out = await run(f.command)
  t.false(out.stdout.includes('PRIVATE KEY'), 'no private key leaves the CA directory')
  const now = f.parse(out)
  t.true(now.ca)
  t.deepEqual(now.certificates, [
    { name: 'hydra', cn: 'hydra', verified: true, fresh: true, keyMatches: true },
    { name: 'plexus', cn: 'plexus', verified: false, fresh: true, keyMatches: true },
    { name: 'arbiter', cn: 'arbiter', verified: true, fresh: true, keyMatches: false },
  ])
  const issued = issuedMaterial(dir, 'hydra')
  t.is(issued.parse(await run(issued.command))?.cert, readFileSync(join(dir, 'hydra.pem'), 'utf8'))
  const none = issuedMaterial(dir, 'nobody')
  t.is(none.parse(await run(none.command)), undefined)
  const in340Days = parseCaState(out, Date.now() + 340 * 86_400_000)
  t.deepEqual(in340Days.certificates.map((c) => c.fresh), [false, false, false])
  writeFileSync(join(dir, 'hydra.pem'), 'damaged\n')
  t.like(f.parse(await run(f.command)).certificates[0], { name: 'hydra', verified: false })
  t.deepEqual(f.parse(await run(caState(join(dir, 'missing'), ['hydra']).command)), { ca: false, certificates: [] })
})
