// Only the inventory's hosts get in: gluster over TLS against an intruder, strict SSH host keys,
// and no secret in any output. Runs against whichever lab instance GFS_LAB_INSTANCE selects.
import test from 'ava'
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse, stringify } from 'yaml'
import { caDir } from '../../src/tls/ca.ts'
import { lab, labInventoryWith, onHost, requireRoot, tryOnHost } from '../helpers/lab.ts'
import { explain, provision } from '../helpers/provision.ts'

const hosts = ['hydra', 'plexus']
const dir = mkdtempSync(join(tmpdir(), 'gfs-security-'))
const inventoryFile = join(dir, 'secure.yaml')
const password = 'pw-Zq8!unseen-login-secret'
const becomePassword = 'pw-Kx3#unseen-become-secret'

/** The lab's inventory with TLS on (and whatever else `change` sets), written where its CA will live. */
function writeInventory(change: (inventory: any) => void = () => {}): string {
  return labInventoryWith((inventory) => {
    inventory.all.vars.tls = true
    change(inventory)
  }, inventoryFile)
}

test.before(async () => {
  requireRoot()
  await lab.up({ flavor: 'ready', intruder: true, log: () => {} })
  const run = await provision(['--inventory', writeInventory()], { timeoutMs: 20 * 60_000 })
  if (run.exitCode !== 0) throw new Error(`provisioning with TLS failed: ${explain(run)}`)
})

test.serial('gv0 and glusterd speak TLS, admit only the inventory hosts, and a second run changes nothing', async (t) => {
  const ca = caDir(inventoryFile)
  t.is(statSync(join(ca, 'ca.key')).mode & 0o777, 0o600, 'CA key mode')
  for (const h of hosts) {
    t.is((await onHost(h, 'stat -c %a /etc/ssl/glusterfs.key')).trim(), '600')
    t.regex(await onHost(h, 'openssl x509 -noout -subject -in /etc/ssl/glusterfs.pem 2>/dev/null || cat /etc/ssl/glusterfs.pem'), new RegExp(`CN ?= ?${h}|BEGIN CERTIFICATE`))
    t.true((await tryOnHost(h, 'test -f /var/lib/glusterd/secure-access')).exitCode === 0, `${h} secure-access`)
  }
  const info = await onHost('hydra', 'gluster volume info gv0')
  t.regex(info, /client\.ssl: on/)
  t.regex(info, /server\.ssl: on/)
  t.regex(info, /auth\.ssl-allow: hydra,plexus/)
  t.regex(info, /auth\.allow: \d+\.\d+\.\d+\.\d+/)
  t.regex(await onHost('hydra', 'gluster peer status'), /Hostname: plexus\n.*\nState: Peer in Cluster \(Connected\)/)
  const content = `over TLS ${Date.now()}\n`
  await onHost('hydra', 'cat > /gfs/union/tls.txt', { input: content })
  await onHost('hydra', 'gfs-writecache flush --wait --timeout 120', { timeoutMs: 150_000 })
  for (const h of hosts) t.is(await onHost(h, 'cat /data/brick1/gv0/tls.txt'), content, `${h} brick`)
  const again = await provision(['--inventory', inventoryFile])
  t.is(again.exitCode, 0, explain(again))
  for (const h of hosts) t.like(again.recap!.hosts[h], { changed: 0, failed: 0 })
})

async function poolSize(): Promise<number> {
  return (await onHost('hydra', 'gluster pool list')).trim().split('\n').length - 1
}

/** Give the intruder its own CA and a certificate that claims to be hydra, and management TLS. */
async function forgeIdentity(): Promise<void> {
  await onHost(
    'intruder',
    'set -e; cd /etc/ssl; openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=hydra -days 30 -keyout glusterfs.key -out glusterfs.pem 2>/dev/null; ' +
      'cp glusterfs.pem glusterfs.ca; mkdir -p /usr/lib/ssl /var/lib/glusterd; for f in pem key ca; do ln -sfn /etc/ssl/glusterfs.$f /usr/lib/ssl/glusterfs.$f; done; touch /var/lib/glusterd/secure-access',
  ).catch(async () => {
    // No openssl on the intruder: it still tries with management TLS on and no valid certificate.
    await onHost('intruder', 'mkdir -p /var/lib/glusterd && touch /var/lib/glusterd/secure-access')
  })
}

async function clearIdentity(): Promise<void> {
  await onHost('intruder', 'rm -f /var/lib/glusterd/secure-access /etc/ssl/glusterfs.* /usr/lib/ssl/glusterfs.*')
}

for (const forged of [false, true]) {
  const how = forged ? 'with a certificate of its own claiming to be hydra' : 'without a certificate'
  test.serial(`the intruder ${how} can reach glusterd but can neither mount gv0, nor join the pool, nor read`, async (t) => {
    await clearIdentity()
    if (forged) await forgeIdentity()
    const before = await poolSize()
    t.is((await tryOnHost('intruder', 'timeout 5 bash -c "</dev/tcp/hydra/24007"')).exitCode, 0, 'the network lets the intruder reach hydra, so a refusal is gluster\'s')
    await onHost('intruder', 'mkdir -p /mnt/gv0; umount /mnt/gv0 2>/dev/null; true')
    const mount = await tryOnHost('intruder', 'timeout 60 mount -t glusterfs hydra:/gv0 /mnt/gv0')
    t.not(mount.exitCode, 0, `mount must fail: ${mount.stdout}${mount.stderr}`)
    t.is((await tryOnHost('intruder', 'findmnt /mnt/gv0')).exitCode, 1, 'nothing mounted')
    t.is((await tryOnHost('intruder', 'ls /mnt/gv0')).stdout.trim(), '', 'nothing readable')
    await onHost('intruder', 'systemctl restart glusterd && sleep 1')
    const probe = await tryOnHost('intruder', 'timeout 60 gluster --mode=script peer probe hydra')
    t.not(probe.exitCode, 0, `probe must fail: ${probe.stdout}${probe.stderr}`)
    const read = await tryOnHost('intruder', 'timeout 30 gluster --mode=script --remote-host=hydra volume info gv0')
    t.notRegex(read.stdout, /Volume Name: gv0/, 'no volume information over the network')
    t.is(await poolSize(), before, 'hydra\'s pool did not grow')
    t.notRegex(await onHost('hydra', 'gluster pool list'), /intruder|10\.214\.\d+\.13/)
    t.notRegex(await onHost('plexus', 'gluster pool list'), /intruder|10\.214\.\d+\.13/)
    await onHost('intruder', 'systemctl stop glusterd')
  })
}

test.serial('a wrong known_hosts entry: the CLI refuses with a clear message and never logs in', async (t) => {
  const inventory = parse(readFileSync(inventoryFile, 'utf8'))
  const address = inventory.all.hosts.hydra.ansible_host as string
  const knownHosts = readFileSync(inventory.all.vars.known_hosts_file, 'utf8')
  const wrongKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl'
  const tampered = knownHosts
    .split('\n')
    .map((line) => (line.split(' ')[0]!.split(',').includes(address) ? `${line.split(' ')[0]} ${wrongKey}` : line))
    .join('\n')
  t.not(tampered, knownHosts, 'hydra has an entry to replace')
  const file = join(dir, 'tampered.known_hosts')
  writeFileSync(file, tampered)
  const variant = join(mkdtempSync(join(tmpdir(), 'gfs-kh-')), 'tampered.yaml')
  inventory.all.vars.known_hosts_file = file
  writeFileSync(variant, stringify(inventory))
  const logins = async () => (await onHost('hydra', 'journalctl -u ssh --no-pager -o cat | grep -c "Accepted publickey" || true')).trim()
  const before = await logins()
  const run = await provision(['--inventory', variant, '--trust-new-host-keys'], { json: false })
  t.not(run.exitCode, 0)
  t.regex(run.stdout, /HOST KEY CHANGED for [^:]+: it presented ssh-ed25519 SHA256:/)
  t.regex(run.stdout, /tampered\.known_hosts:\d+/)
  t.regex(run.stdout, /hydra\s+:.*unreachable=1/)
  t.is(await logins(), before, 'no login on hydra')
  t.is(readFileSync(file, 'utf8'), tampered, 'the known_hosts file is left as it is')
})

test.serial('no secret appears in any output: terminal, --json, --verbose, a failing command', async (t) => {
  writeInventory((inv) => {
    inv.all.vars.ansible_password = password
    inv.all.vars.ansible_become_password = becomePassword
  })
  const ca = caDir(inventoryFile)
  const keys = ['ca.key', 'hydra.key', 'plexus.key'].map((f) => readFileSync(join(ca, f), 'utf8'))
  const keyLines = keys.flatMap((k) => k.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----')))
  const secrets = [password, becomePassword, ...keyLines]
  const runs = [
    await provision(['--inventory', inventoryFile], { json: false }),
    await provision(['--inventory', inventoryFile, '--verbose', '--diff'], { json: false }),
    await provision(['--inventory', inventoryFile, '--verbose']),
  ]
  writeInventory((inv) => {
    inv.all.vars.ansible_password = password
    inv.all.vars.ansible_become_password = becomePassword
    inv.all.vars.gluster_options = { 'no.such.option': password }
  })
  const failing = [
    await provision(['--inventory', inventoryFile, '--verbose'], { json: false }),
    await provision(['--inventory', inventoryFile, '--verbose']),
  ]
  for (const run of failing) t.not(run.exitCode, 0, 'the unknown option fails a command')
  t.regex(failing[0]!.stdout, /no\.such\.option/)
  for (const [i, run] of [...runs, ...failing].entries()) {
    const output = run.stdout + run.stderr
    for (const secret of secrets) t.false(output.includes(secret), `run ${i} printed a secret (${secret.slice(0, 6)}...)`)
    t.false(/PRIVATE KEY/.test(output), `run ${i} printed a key`)
  }
  writeInventory()
})
