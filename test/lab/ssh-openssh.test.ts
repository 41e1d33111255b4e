// SSH as OpenSSH reaches the lab: hydra's WAN address through plexus as a ProxyJump jump host (set in
// ansible_ssh_common_args, the jump host's key from ~/.ssh/config), and a host key marked @revoked refused by
// the CLI even with --trust-new-host-keys. Needs only the lab up (any flavor), not a provisioned appliance.
import test from 'ava'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { sh } from '../../src/engine/command.ts'
import { connectSsh } from '../../src/engine/ssh-executor.ts'
import { loadInventory } from '../../src/inventory/load.ts'
import * as lab from '../../src/lab/api.ts'
import { requireRoot } from '../helpers/lab.ts'
import { provision } from '../helpers/provision.ts'

const topo = lab.topology()
const address = (name: string) => topo.hosts.find((h) => h.name === name)!

test.before(async () => {
  requireRoot()
  await lab.up({ log: () => {} })
})

test('hydra reached through plexus (ProxyJump from ansible_ssh_common_args): hydra sees the connection come from plexus', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gfs-jump-'))
  const home = join(dir, 'home')
  mkdirSync(join(home, '.ssh'), { recursive: true })
  writeFileSync(join(home, '.ssh', 'config'), `Host plexus-jump\n  HostName ${address('plexus').management}\n  User root\n  IdentityFile ${lab.sshKeyPath}\n`)
  const knownHosts = join(dir, 'known_hosts')
  copyFileSync(lab.sshKnownHostsPath, knownHosts)
  writeFileSync(join(dir, 'inv.yml'), stringify({
    all: { vars: { known_hosts_file: knownHosts } },
    gfs_storage: {
      vars: { ansible_user: 'root', ansible_ssh_private_key_file: lab.sshKeyPath, ansible_ssh_common_args: '-o ProxyJump=plexus-jump' },
      hosts: { hydra: { ansible_host: address('hydra').wan }, plexus: { ansible_host: address('plexus').wan } },
    },
  }))
  const inventory = await loadInventory('inv.yml', { cwd: dir, homeDir: home })
  const hydra = inventory.hosts[0]!
  // hydra's WAN address is new to known_hosts: pinned on first use, as with --trust-new-host-keys.
  const executor = await connectSsh(hydra, { knownHostsFile: knownHosts, trustNewHostKeys: true, home, agentSocket: '' })
  const seen = (await executor.run(sh`echo $SSH_CONNECTION`)).stdout.trim().split(' ')
  await executor.close()
  t.is(seen[0], address('plexus').wan, 'the client hydra saw is plexus')
  t.is(seen[2], address('hydra').wan)
  t.regex(readFileSync(knownHosts, 'utf8'), new RegExp(`^${address('hydra').wan.replaceAll('.', '\\.')} ssh-`, 'm'))
})

test('a host key marked @revoked is refused by the CLI even with --trust-new-host-keys, and never pinned', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gfs-revoked-'))
  const hydraKey = readFileSync(lab.sshKnownHostsPath, 'utf8').split('\n').find((line) => line.startsWith(`${address('hydra').management},`))!
  const [, type, blob] = hydraKey.split(' ')
  const content = `@revoked * ${type} ${blob}\n`
  const knownHosts = join(dir, 'inv.known_hosts')
  writeFileSync(knownHosts, content)
  writeFileSync(join(dir, 'inv.yml'), stringify({
    all: {
      vars: { ansible_user: 'root', ansible_ssh_private_key_file: lab.sshKeyPath, known_hosts_file: knownHosts },
      hosts: { hydra: { ansible_host: address('hydra').management }, plexus: { ansible_host: address('plexus').management } },
    },
  }))
  const run = await provision(['status', '-i', join(dir, 'inv.yml'), '--limit', 'hydra', '--trust-new-host-keys'], { json: false, timeoutMs: 120_000 })
  t.is(run.exitCode, 2, run.stdout + run.stderr)
  t.regex(run.stdout + run.stderr, /host key REVOKED/)
  t.is(readFileSync(knownHosts, 'utf8'), content)
})
