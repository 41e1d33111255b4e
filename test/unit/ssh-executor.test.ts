import test from 'ava'
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { put, sh } from '../../src/engine/command.ts'
import { ConnectError } from '../../src/engine/errors.ts'
import { connectSsh } from '../../src/engine/ssh-executor.ts'
import { host } from '../helpers/hosts.ts'
import { startSshd, type TestSshd } from '../helpers/sshd.ts'
import { tempDir } from '../helpers/temp.ts'

let sshd: TestSshd
test.before(async () => {
  sshd = await startSshd()
})
test.after.always(() => sshd?.stop())

const target = () => host('local', { address: '127.0.0.1', port: sshd.port, privateKeyFile: sshd.clientKey })
const knownHosts = (content: string) => {
  const file = join(tempDir('gfs-kh-'), 'known_hosts')
  writeFileSync(file, content)
  return file
}

const pinned = () => knownHosts(`[127.0.0.1]:${sshd.port} ${sshd.hostPublicKey.split(' ').slice(0, 2).join(' ')}\n`)

test('runs commands over a verified connection, with stdout, stderr and exit code', async (t) => {
  const executor = await connectSsh(target(), { knownHostsFile: pinned(), trustNewHostKeys: false })
  const result = await executor.run(sh`echo out; echo err >&2; exit 3`)
  t.is(result.stdout, 'out\n')
  t.is(result.stderr, 'err\n')
  t.is(result.exitCode, 3)
  const name = 'a b $(x) "q" \'s\' ü\nline'
  const echoed = await executor.run(sh`printf '%s' ${name}`)
  t.is(echoed.stdout, name)
  await executor.close()
})

test('parallel commands share one connection', async (t) => {
  const executor = await connectSsh(target(), { knownHostsFile: pinned(), trustNewHostKeys: false })
  const results = await Promise.all(Array.from({ length: 8 }, (_, i) => executor.run(sh`echo ${i}`)))
  t.deepEqual(results.map((r) => r.stdout.trim()), ['0', '1', '2', '3', '4', '5', '6', '7'])
  await executor.close()
})

test("more commands at once than sshd's default MaxSessions (10) all run: the connection queues its channels", async (t) => {
  const strict = await startSshd(['MaxSessions 10'])
  t.teardown(() => strict.stop())
  const at = host('strict', { address: '127.0.0.1', port: strict.port, privateKeyFile: strict.clientKey })
  const file = knownHosts(`[127.0.0.1]:${strict.port} ${strict.hostPublicKey.split(' ').slice(0, 2).join(' ')}\n`)
  const executor = await connectSsh(at, { knownHostsFile: file, trustNewHostKeys: false })
  const results = await Promise.all(Array.from({ length: 25 }, (_, i) => executor.run(sh`sleep 0.3; echo ${i}`)))
  t.deepEqual(results.map((r) => r.stdout.trim()), Array.from({ length: 25 }, (_, i) => String(i)))
  await executor.close()
})

test('put writes a file atomically with its mode, binary-safe', async (t) => {
  const executor = await connectSsh(target(), { knownHostsFile: pinned(), trustNewHostKeys: false })
  const dest = join(tempDir('gfs-put-'), 'sub dir', 'f $(x).bin')
  const content = Buffer.from([0, 1, 2, 255, 10, 13, 39, 34])
  const result = await executor.run(put(dest, content, { mode: 0o600 }))
  t.is(result.exitCode, 0, result.stderr)
  t.deepEqual(readFileSync(dest), content)
  const mode = await executor.run(sh`stat -c %a ${dest}`)
  t.is(mode.stdout.trim(), '600')
  await executor.close()
})

test('an unknown host key is refused and nothing runs', async (t) => {
  const file = knownHosts('')
  const error = await t.throwsAsync(connectSsh(target(), { knownHostsFile: file, trustNewHostKeys: false }), { instanceOf: ConnectError })
  t.regex(error!.message, /host key not known/)
  t.regex(error!.message, /--trust-new-host-keys/)
  t.is(readFileSync(file, 'utf8'), '')
})

test('trusting new keys pins the key, which is then verified', async (t) => {
  const file = knownHosts('')
  const executor = await connectSsh(target(), { knownHostsFile: file, trustNewHostKeys: true })
  await executor.close()
  const [type, blob] = sshd.hostPublicKey.split(' ')
  t.is(readFileSync(file, 'utf8'), `[127.0.0.1]:${sshd.port} ${type} ${blob}\n`)
  const again = await connectSsh(target(), { knownHostsFile: file, trustNewHostKeys: false })
  t.is((await again.run(sh`echo ok`)).stdout, 'ok\n')
  await again.close()
})

test('a changed host key is always refused, even when trusting new keys', async (t) => {
  const wrong = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl'
  const file = knownHosts(`# lab\n[127.0.0.1]:${sshd.port} ${wrong}\n`)
  const error = await t.throwsAsync(connectSsh(target(), { knownHostsFile: file, trustNewHostKeys: true }), { instanceOf: ConnectError })
  t.regex(error!.message, /HOST KEY CHANGED/)
  t.regex(error!.message, /known_hosts:2/)
  t.regex(error!.message, /ssh-keygen -R/)
})

test('a reinstalled host: the changed key is refused with the one command that confirms exactly that key, which then works', async (t) => {
  const wrong = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl'
  const file = knownHosts(`[127.0.0.1]:${sshd.port} ${wrong}\n`)
  const error = await t.throwsAsync(connectSsh(target(), { knownHostsFile: file, trustNewHostKeys: false }), { instanceOf: ConnectError })
  t.regex(error!.message, /HOST KEY CHANGED for local \(\[127\.0\.0\.1\]:\d+\): it presented ssh-ed25519 SHA256:/)
  t.regex(error!.message, /ssh-keygen -lf \/etc\/ssh\/ssh_host_ed25519_key\.pub/)
  const confirm = /confirm the new key and run again: (.+)$/.exec(error!.message)?.[1]
  if (!confirm) return void t.fail(`no confirmation command in: ${error!.message}`)
  t.is(spawnSync('sh', ['-c', confirm], { encoding: 'utf8' }).status, 0, confirm)
  t.false(readFileSync(file, 'utf8').includes(wrong), 'the old key is gone')
  const executor = await connectSsh(target(), { knownHostsFile: file, trustNewHostKeys: false })
  t.is((await executor.run(sh`echo ok`)).stdout, 'ok\n')
  await executor.close()
})

test('an unreachable host is a ConnectError that says so', async (t) => {
  const file = knownHosts('')
  const closed = host('gone', { address: '127.0.0.1', port: 1, privateKeyFile: sshd.clientKey })
  const error = await t.throwsAsync(connectSsh(closed, { knownHostsFile: file, trustNewHostKeys: false }), { instanceOf: ConnectError })
  t.regex(error!.message, /unreachable: connection refused/)
})

test('a key marked @revoked is refused and never pinned, even when trusting new keys', async (t) => {
  const [type, blob] = sshd.hostPublicKey.split(' ')
  const content = `@revoked * ${type} ${blob}\n`
  const file = knownHosts(content)
  const error = await t.throwsAsync(connectSsh(target(), { knownHostsFile: file, trustNewHostKeys: true }), { instanceOf: ConnectError })
  t.regex(error!.message, /host key REVOKED/)
  t.regex(error!.message, /known_hosts:1 marks @revoked/)
  t.is(readFileSync(file, 'utf8'), content)
})

test('a host vouched for only by a @cert-authority is refused with a way out, and not pinned', async (t) => {
  const content = `@cert-authority [127.0.0.1]:* ${sshd.hostPublicKey.split(' ').slice(0, 2).join(' ')}\n`
  const file = knownHosts(content)
  const error = await t.throwsAsync(connectSsh(target(), { knownHostsFile: file, trustNewHostKeys: true }), { instanceOf: ConnectError })
  t.regex(error!.message, /@cert-authority .* host certificates are not supported/)
  t.regex(error!.message, /ssh-keyscan/)
  t.is(readFileSync(file, 'utf8'), content)
})

test('a wildcard [host]:port entry is a known key', async (t) => {
  const file = knownHosts(`[127.0.0.*]:${sshd.port},!10.0.0.1 ${sshd.hostPublicKey.split(' ').slice(0, 2).join(' ')}\n`)
  const executor = await connectSsh(target(), { knownHostsFile: file, trustNewHostKeys: false })
  t.is((await executor.run(sh`echo ok`)).stdout, 'ok\n')
  await executor.close()
})
