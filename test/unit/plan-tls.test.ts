import test from 'ava'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { CaState, IssuedMaterial } from '../../src/facts/tls.ts'
import { caState, issuedMaterial, parseCaState, parseDigests, parseLinks, parseMaterial } from '../../src/facts/tls.ts'
import type { FileContent } from '../../src/facts/files.ts'
import type { Mount } from '../../src/facts/mounts.ts'
import type { UnitState } from '../../src/facts/systemd.ts'
import { Secret } from '../../src/inventory/types.ts'
import { certificateInstalled, certificatesIssued, managementEncryption, secureAccessContent, volumeTls } from '../../src/tasks/tls.ts'
import { createCa, issueCertificate } from '../../src/tls/ca.ts'
import { localExecutor } from '../../src/engine/local-executor.ts'
import { host } from '../helpers/hosts.ts'
import { planOf } from '../helpers/plan.ts'

const on = { tls: true }
const hosts = [host('hydra', { address: '10.0.0.1' }, on), host('plexus', { address: '10.0.0.2' }, on)]
const plan = (task: Parameters<typeof planOf>[0], facts: Record<string, unknown>, onHost = hosts[0]) => planOf(task, facts, { hosts, on: onHost })
const cert = (name: string, overrides = {}) => ({ name, cn: name, verified: true, fresh: true, keyMatches: true, ...overrides })
const result = (stdout: string, exitCode = 0) => ({ host: 'h', command: 'c', exitCode, stdout, stderr: '', durationMs: 0 })

const issuedCases: [string, CaState, string[]][] = [
  ['no CA: create it and issue for every host', { ca: false, certificates: [] }, ['create the CA in /tmp/test-inventory-ca', 'issue a certificate for hydra', 'issue a certificate for plexus']],
  ['all valid: nothing', { ca: true, certificates: [cert('hydra'), cert('plexus')] }, []],
  ['a new host gets one', { ca: true, certificates: [cert('hydra')] }, ['issue a certificate for plexus (none yet)']],
  ['close to expiry: re-issued', { ca: true, certificates: [cert('hydra', { fresh: false }), cert('plexus')] }, ['issue a certificate for hydra (expires within 30 days)']],
  ['signed by another CA', { ca: true, certificates: [cert('hydra'), cert('plexus', { verified: false })] }, ['issue a certificate for plexus (not signed by the current CA)']],
  ['wrong name', { ca: true, certificates: [cert('hydra', { cn: 'other' }), cert('plexus')] }, ['issue a certificate for hydra (its name is "other")']],
  ['key does not match', { ca: true, certificates: [cert('hydra'), cert('plexus', { keyMatches: false })] }, ['issue a certificate for plexus (its key does not match)']],
]
for (const [title, ca, expected] of issuedCases) {
  test(`certificates issued: ${title}`, (t) => {
    t.deepEqual(plan(certificatesIssued(), { ca }).changes, expected)
  })
}

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

test('certificates issued: odd host names are refused, not turned into file names', (t) => {
  const odd = [host('hy/dra', {}, on), host('plexus', {}, on)]
  t.regex(planOf(certificatesIssued(), { ca: { ca: true, certificates: [] } }, { hosts: odd }).refuse!, /cannot issue certificates for host names "hy\/dra"/)
})

const material: IssuedMaterial = { ca: 'CA-PEM\n', cert: 'HYDRA-PEM\n', key: new Secret('HYDRA-KEY\n') }
const digest = (s: string) => createHash('sha256').update(s).digest('hex')
const linked = { '/usr/lib/ssl/glusterfs.pem': '/etc/ssl/glusterfs.pem', '/usr/lib/ssl/glusterfs.key': '/etc/ssl/glusterfs.key', '/usr/lib/ssl/glusterfs.ca': '/etc/ssl/glusterfs.ca' }

test('certificate installed: uploads what differs; the key with mode 0600 and never shown', (t) => {
  const fresh = plan(certificateInstalled(), { issued: material, installed: {}, links: {} })
  t.deepEqual(fresh.changes!.slice(0, 3), ['install the CA certificate /etc/ssl/glusterfs.ca', "install hydra's certificate /etc/ssl/glusterfs.pem", "install hydra's key /etc/ssl/glusterfs.key"])
  t.is(fresh.commands![2], 'write /etc/ssl/glusterfs.key (10 bytes, mode 600)')
  t.false(fresh.commands!.join('\n').includes('HYDRA-KEY'))
  const installed = { '/etc/ssl/glusterfs.ca': digest('CA-PEM\n'), '/etc/ssl/glusterfs.pem': digest('HYDRA-PEM\n'), '/etc/ssl/glusterfs.key': digest('HYDRA-KEY\n') }
  t.deepEqual(plan(certificateInstalled(), { issued: material, installed, links: linked }).changes, [])
  t.deepEqual(plan(certificateInstalled(), { issued: { ...material, cert: 'RENEWED\n' }, installed, links: linked }).changes, ["install hydra's certificate /etc/ssl/glusterfs.pem"])
  t.regex(plan(certificateInstalled(), { issued: undefined, installed, links: linked }).refuse!, /no certificate issued for hydra/)
})

test('certificate installed: a host that trusts another CA is never re-keyed by accident', (t) => {
  const installed = { '/etc/ssl/glusterfs.ca': digest('OTHER-CA\n'), '/etc/ssl/glusterfs.pem': digest('OLD\n'), '/etc/ssl/glusterfs.key': digest('OLD\n') }
  t.regex(plan(certificateInstalled(), { issued: material, installed, links: linked }).refuse!, /already trusts another CA/)
})

test('certificate installed: the key upload is marked secret', (t) => {
  const task = certificateInstalled()
  const r = task.plan({ issued: material, installed: {}, links: linked } as never, { host: hosts[0]!, hosts, inventory: { file: '/tmp/i.yaml', hosts, knownHostsFile: '', trustNewHostKeys: false }, check: false })
  if ('refuse' in r) return t.fail()
  const key = r.changes.flatMap((c) => c.commands).find((c) => c.kind === 'put' && c.path === '/etc/ssl/glusterfs.key')
  t.like(key, { kind: 'put', secret: true, mode: 0o600 })
})

const unit = (active: string): UnitState => ({ name: 'u', loaded: true, active, sub: '', enabled: 'enabled', fragmentPath: '', needsReload: false })
const file = (content?: string): FileContent => (content === undefined ? { exists: false, content: '', mode: 0 } : { exists: true, content, mode: 0o644 })
const mount = (target: string, fstype: string): Mount => ({ target, fstype, source: 's', options: [] })

test('management encryption: a running appliance is switched over in a safe order', (t) => {
  const running = { secure: file(), union: mount('/gfs/union', 'overlay'), gv0: mount('/gfs/gv0', 'fuse.glusterfs'), agent: unit('active'), glusterd: unit('active') }
  t.deepEqual(plan(managementEncryption(), running).commands, [
    'systemctl stop gfs-writecache.service',
    'umount -- /gfs/union',
    'umount -- /gfs/gv0',
    `write /var/lib/glusterd/secure-access (${secureAccessContent.length} bytes, mode 644)`,
    'systemctl restart glusterd.service',
  ])
  const bare = { secure: file(), union: undefined, gv0: undefined, agent: { ...unit('inactive'), loaded: false }, glusterd: unit('active') }
  t.deepEqual(plan(managementEncryption(), bare).changes, ['write /var/lib/glusterd/secure-access', 'restart glusterd with TLS'])
  t.deepEqual(plan(managementEncryption(), { ...running, secure: file(secureAccessContent) }).changes, [])
  t.deepEqual(plan(managementEncryption(), { ...running, secure: file('') }).changes, ['write /var/lib/glusterd/secure-access', 'restart glusterd with TLS'])
})

test('TLS tasks are skipped when the inventory turns TLS off', (t) => {
  const off = [host('hydra', {}, { tls: false }), host('plexus', {}, { tls: false })]
  for (const task of [certificatesIssued(), certificateInstalled(), managementEncryption(), volumeTls()])
    t.is(task.when?.({ host: off[0]!, hosts: off, inventory: { file: '/i.yaml', hosts: off, knownHostsFile: '', trustNewHostKeys: false }, check: false }), 'tls is off in the inventory')
})

const volume = (started: boolean) => ({ name: 'gv0', id: 'i', started, replicaCount: 2, arbiterCount: 0, typeStr: 'Replicate', bricks: [], options: {} })
const tlsOptions = { 'client.ssl': 'on', 'server.ssl': 'on', 'auth.ssl-allow': 'hydra,plexus', 'auth.allow': '10.0.0.1,10.0.0.2,10.9.0.1,10.9.0.2' }

test('volume TLS: options for a started volume, then a restart so the bricks serve TLS', (t) => {
  const r = plan(volumeTls(), { current: { 'client.ssl': 'off', 'server.ssl': 'off', 'auth.allow': '*' }, volume: volume(true), resolved: ['10.9.0.1', '10.9.0.2'] })
  t.deepEqual(r.commands, [
    'gluster --mode=script volume set gv0 client.ssl on',
    'gluster --mode=script volume set gv0 server.ssl on',
    'gluster --mode=script volume set gv0 auth.ssl-allow hydra,plexus',
    'gluster --mode=script volume set gv0 auth.allow 10.0.0.1,10.0.0.2,10.9.0.1,10.9.0.2',
    'gluster --mode=script volume stop gv0',
    'gluster --mode=script volume start gv0',
  ])
  t.deepEqual(plan(volumeTls(), { current: tlsOptions, volume: volume(true), resolved: ['10.9.0.1', '10.9.0.2'] }).changes, [])
  const created = plan(volumeTls(), { current: {}, volume: volume(false), resolved: ['10.9.0.1', '10.9.0.2'] })
  t.false(created.commands!.some((c) => c.includes('volume stop')), 'a volume not yet started is not restarted')
})

test('volume TLS: a host added to the inventory is added to both allow lists, without a restart', (t) => {
  const three = [...hosts, host('arbiter1', { address: '10.0.0.3', role: 'arbiter' }, on)]
  const r = planOf(volumeTls(), { current: tlsOptions, volume: volume(true), resolved: ['10.9.0.1', '10.9.0.2', '10.9.0.3'] }, { hosts: three })
  t.deepEqual(r.changes, [
    'set auth.ssl-allow = hydra,plexus,arbiter1 (was hydra,plexus)',
    'set auth.allow = 10.0.0.1,10.0.0.2,10.0.0.3,10.9.0.1,10.9.0.2,10.9.0.3 (was 10.0.0.1,10.0.0.2,10.9.0.1,10.9.0.2)',
  ])
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
