// Reaching hosts as OpenSSH would: ssh-agent, default keys, ~/.ssh/config, ProxyJump (also from
// ansible_ssh_common_args), retries, and a named key that cannot be used reported as a bad inventory.
import test from 'ava'
import { execFileSync, spawn } from 'node:child_process'
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { sh } from '../../src/engine/command.ts'
import { ConnectError, InventoryError } from '../../src/engine/errors.ts'
import { checkNamedKeys } from '../../src/engine/ssh-auth.ts'
import { connectSsh } from '../../src/engine/ssh-executor.ts'
import { loadInventory } from '../../src/inventory/load.ts'
import { host } from '../helpers/hosts.ts'
import { startSshd, type TestSshd } from '../helpers/sshd.ts'
import { tempDir } from '../helpers/temp.ts'

let sshd: TestSshd
let closedJump: TestSshd
test.before(async () => {
  sshd = await startSshd()
  closedJump = await startSshd(['AllowTcpForwarding no'])
})
test.after.always(() => {
  sshd?.stop()
  closedJump?.stop()
})

const emptyHome = () => tempDir('gfs-home-')
const pinnedBoth = () => {
  const file = join(tempDir('gfs-kh-'), 'known_hosts')
  const line = (d: TestSshd) => `[127.0.0.1]:${d.port} ${d.hostPublicKey.split(' ').slice(0, 2).join(' ')}\n`
  writeFileSync(file, line(sshd) + line(closedJump))
  return file
}
const options = (extra: Record<string, unknown> = {}) => ({ knownHostsFile: pinnedBoth(), trustNewHostKeys: false, agentSocket: '', home: emptyHome(), ...extra })

test('the default key file ~/.ssh/id_ed25519 is used when the inventory names no key', async (t) => {
  const home = emptyHome()
  mkdirSync(join(home, '.ssh'))
  copyFileSync(sshd.clientKey, join(home, '.ssh', 'id_ed25519'))
  chmodSync(join(home, '.ssh', 'id_ed25519'), 0o600)
  const executor = await connectSsh(host('local', { address: '127.0.0.1', port: sshd.port }), options({ home }))
  t.is((await executor.run(sh`echo ok`)).stdout, 'ok\n')
  await executor.close()
})

test('without a key the host is refused by sshd: authentication failed, not unreachable', async (t) => {
  const error = await t.throwsAsync(connectSsh(host('local', { address: '127.0.0.1', port: sshd.port }), options()), { instanceOf: ConnectError })
  t.regex(error!.message, /authentication failed for root@127\.0\.0\.1/)
})

test('keys in ssh-agent (SSH_AUTH_SOCK) are used', async (t) => {
  const socket = join(tempDir('gfs-agent-'), 'agent.sock')
  const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' })
  try {
    for (let i = 0; i < 50; i++) {
      try {
        execFileSync('ssh-add', [sshd.clientKey], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'ignore' })
        break
      } catch {
        await new Promise((r) => setTimeout(r, 50))
      }
    }
    const executor = await connectSsh(host('local', { address: '127.0.0.1', port: sshd.port }), options({ agentSocket: socket }))
    t.is((await executor.run(sh`echo ok`)).stdout, 'ok\n')
    await executor.close()
  } finally {
    agent.kill()
  }
})

test('a missing or unusable key named in the inventory is a bad inventory (exit 65) naming the file', async (t) => {
  const missing = host('hydra', { privateKeyFile: '/nonexistent/id_lab' })
  const error = t.throws(() => checkNamedKeys(missing), { instanceOf: InventoryError })
  t.is(error!.message, '/nonexistent/id_lab: expected a readable private key file (ENOENT); named by ansible_ssh_private_key_file for host hydra')
  const dir = emptyHome()
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret', '-f', join(dir, 'locked')])
  const locked = t.throws(() => checkNamedKeys(host('hydra', { privateKeyFile: join(dir, 'locked') })), { instanceOf: InventoryError })
  t.regex(locked!.message, /the private key is encrypted: load it into ssh-agent \(ssh-add .*locked\)/)
  writeFileSync(join(dir, 'junk'), 'not a key\n')
  t.throws(() => checkNamedKeys(host('hydra', { privateKeyFile: join(dir, 'junk') })), { instanceOf: InventoryError, message: /junk: expected a private key file/ })
  await t.throwsAsync(connectSsh(missing, options()), { instanceOf: InventoryError })
})

test('~/.ssh/config: HostName, Port, User and IdentityFile for the inventory name', async (t) => {
  const home = emptyHome()
  mkdirSync(join(home, '.ssh'))
  writeFileSync(join(home, '.ssh', 'config'), `Host hydra\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  IdentityFile ${sshd.clientKey}\nHost *\n  User root\n`)
  const dir = emptyHome()
  writeFileSync(join(dir, 'inv.yml'), 'gfs_storage:\n  hosts:\n    hydra:\n    plexus:\n      ansible_port: 2201\n')
  const inventory = await loadInventory('inv.yml', { cwd: dir, homeDir: home })
  const hydra = inventory.hosts[0]!
  t.like(hydra, { address: '127.0.0.1', port: sshd.port, user: 'root', identityFiles: [sshd.clientKey] })
  t.like(inventory.hosts[1], { address: 'plexus', port: 2201 })
  const executor = await connectSsh(hydra, options())
  t.is((await executor.run(sh`echo ok`)).stdout, 'ok\n')
  await executor.close()
})

test('ProxyJump from ansible_ssh_common_args, the jump host from ~/.ssh/config: the connection goes through it', async (t) => {
  const dir = emptyHome()
  const home = emptyHome()
  mkdirSync(join(home, '.ssh'))
  // As with OpenSSH, options on the command line are for the target; a jump host's own come from ~/.ssh/config.
  writeFileSync(join(home, '.ssh', 'config'), `Host jump-open\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  User root\n  IdentityFile ${sshd.clientKey}\nHost jump-closed\n  HostName 127.0.0.1\n  Port ${closedJump.port}\n  User root\n  IdentityFile ${closedJump.clientKey}\n`)
  const inventory = (jump: string) =>
    `gfs_storage:\n  vars:\n    ansible_ssh_private_key_file: ${sshd.clientKey}\n    ansible_ssh_common_args: '-o ProxyJump=${jump}'\n  hosts:\n    hydra:\n      ansible_host: 127.0.0.1\n      ansible_port: ${sshd.port}\n    plexus:\n      ansible_host: 127.0.0.2\n`
  writeFileSync(join(dir, 'open.yml'), inventory('jump-open'))
  writeFileSync(join(dir, 'closed.yml'), inventory('jump-closed'))
  const open = (await loadInventory('open.yml', { cwd: dir, homeDir: home })).hosts[0]!
  t.deepEqual(open.jumps, [{ address: '127.0.0.1', port: sshd.port, user: 'root', identityFiles: [sshd.clientKey] }])
  const executor = await connectSsh(open, options())
  t.is((await executor.run(sh`echo ok`)).stdout, 'ok\n')
  await executor.close()
  // The same target behind a jump host that forwards nothing is unreachable: the jump is really used.
  const closed = (await loadInventory('closed.yml', { cwd: dir, homeDir: home })).hosts[0]!
  const error = await t.throwsAsync(connectSsh(closed, options({ connectAttempts: 1 })), { instanceOf: ConnectError })
  t.regex(error!.message, /jump host 127\.0\.0\.1 could not open a channel to 127\.0\.0\.1:\d+/)
})

test('ProxyCommand "ssh -W %h:%p bastion" reads as a jump host; other ssh options are refused by name', async (t) => {
  const dir = emptyHome()
  const write = (args: string) => writeFileSync(join(dir, 'inv.yml'), `gfs_storage:\n  vars:\n    ansible_ssh_common_args: '${args}'\n  hosts:\n    hydra:\n    plexus:\n`)
  write('-o ProxyCommand="ssh -W %h:%p -q -p 2222 admin@bastion.example"')
  const inventory = await loadInventory('inv.yml', { cwd: dir, homeDir: emptyHome() })
  t.deepEqual(inventory.hosts[0]!.jumps, [{ address: 'bastion.example', port: 2222, user: 'admin', identityFiles: [] }])
  const refused: [string, RegExp][] = [
    ['-o Compression=yes', /inv\.yml:3: gfs_storage\.vars\.ansible_ssh_common_args: ssh option Compression is not supported by gfs-writecache's SSH client/],
    ['-o StrictHostKeyChecking=no', /ssh option StrictHostKeyChecking is not supported: host keys are always checked here; pin new ones with --trust-new-host-keys/],
    ['-C', /ssh argument -C is not supported/],
    ['-o ProxyCommand="nc -X 5 -x proxy:1080 %h %p"', /ProxyCommand "nc -X 5 -x proxy:1080 %h %p" is not supported/],
  ]
  for (const [args, message] of refused) {
    write(args)
    await t.throwsAsync(loadInventory('inv.yml', { cwd: dir, homeDir: emptyHome() }), { instanceOf: InventoryError, message }, args)
  }
})

test('connection attempts are retried with backoff before a host counts as unreachable', async (t) => {
  const started = performance.now()
  const gone = host('gone', { address: '127.0.0.1', port: 1, connectAttempts: 3 })
  const error = await t.throwsAsync(connectSsh(gone, options({ retryDelayMs: 100 })), { instanceOf: ConnectError })
  t.regex(error!.message, /unreachable: connection refused .* \(3 attempts\)/)
  t.true(performance.now() - started >= 300, 'waited 100 + 200 ms between the attempts')
})
