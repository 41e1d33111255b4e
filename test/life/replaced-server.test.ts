// plexus reinstalled from scratch (container root, host keys and data disk destroyed): its changed SSH key is
// refused until the user confirms it with the command the refusal prints, then one site run brings plexus
// back under its old glusterd UUID, resets and heals its empty brick, and hydra's cached data reaches both
// bricks. Slow (a host rebuilt, a full site run and a heal): `npm run test:life`, or GFS_LIFE_TESTS=1 npm test.
import test from 'ava'
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eventually, lab, labInventoryWith, onHost, provisionedLab, tryOnHost } from '../helpers/lab.ts'
import { explain, provision } from '../helpers/provision.ts'

const hosts = ['hydra', 'plexus'] as const
const brick = '/data/brick1/gv0'

test.before(provisionedLab)

/** The files each host wrote through its union, and published, before plexus was lost. */
async function seedFiles(tag: number): Promise<Record<string, string>> {
  const files: Record<string, string> = {}
  for (const h of hosts) {
    await onHost(h, `mkdir -p /gfs/union/kept-${h} && for i in 1 2 3; do echo "kept $i by ${h} ${tag}" > /gfs/union/kept-${h}/f$i; done`)
    for (let i = 1; i <= 3; i++) files[`kept-${h}/f${i}`] = `kept ${i} by ${h} ${tag}\n`
    await onHost(h, 'gfs-writecache flush --wait --timeout 120', { timeoutMs: 150_000 })
  }
  return files
}

test.serial('plexus reinstalled from scratch: key confirmed, one site run brings it back, healed, nothing lost', async (t) => {
  const files = await seedFiles(Date.now())
  const oldUuid = /Uuid: (\S+)/.exec(await onHost('hydra', 'gluster peer status'))?.[1]
  if (!oldUuid) return void t.fail("hydra knows no UUID for plexus")
  // the user's own known_hosts, which still holds plexus's old key (the lab rewrites its own on up)
  const dir = mkdtempSync(join(tmpdir(), 'gfs-replaced-'))
  const knownHosts = join(dir, 'known_hosts')
  copyFileSync(lab.sshKnownHostsPath, knownHosts)
  const inventory = labInventoryWith((inv) => (inv.all.vars.known_hosts_file = knownHosts), join(dir, 'home.yaml'))

  // hydra's cache holds writes nobody published when plexus is lost (its agent stopped, so they cannot have
  // gone out; new names written while gv0 is unreachable can fail, see the README's known limits)
  const tag = Date.now()
  await onHost('hydra', `systemctl stop gfs-writecache.service && echo "cached while plexus was away" > /gfs/union/while-away-${tag}.txt && mkdir -p /gfs/union/away-${tag} && echo deep > /gfs/union/away-${tag}/d.txt`)
  const cached = { [`while-away-${tag}.txt`]: 'cached while plexus was away\n', [`away-${tag}/d.txt`]: 'deep\n' }
  for (const path of Object.keys(cached)) t.is((await tryOnHost('hydra', `test -e ${brick}/${path}`)).exitCode, 1, `${path} waits in hydra's cache`)

  await lab.destroyHost('plexus')
  await lab.up({ log: () => {} })
  t.is((await tryOnHost('plexus', `test -e ${brick} || test -e /var/lib/glusterd/glusterd.info`)).exitCode, 1, 'plexus is blank: no brick, no glusterd identity')

  const before = readFileSync(knownHosts, 'utf8')
  const refused = await provision(['--inventory', inventory, '--limit', 'plexus'], { json: false, timeoutMs: 300_000 })
  t.is(refused.exitCode, 2, explain(refused))
  const message = /HOST KEY CHANGED for plexus \([^)]+\): it presented (\S+) (SHA256:\S+),.*confirm the new key and run again: (.+)$/m.exec(refused.stdout)
  if (!message) return void t.fail(`no host-key refusal in:\n${refused.stdout.slice(-3000)}`)
  t.is(readFileSync(knownHosts, 'utf8'), before, 'nothing pinned')
  // the user checks the fingerprint on plexus's console, then runs the printed command
  const onConsole = await onHost('plexus', 'ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub')
  t.true(onConsole.includes(message[2]!), `fingerprint ${message[2]} is the one on the console: ${onConsole}`)
  t.is(spawnSync('sh', ['-c', message[3]!]).status, 0, message[3])

  const started = Date.now()
  const site = await provision(['--inventory', inventory], { timeoutMs: 20 * 60_000 })
  t.log(`site run after the reinstall: ${((Date.now() - started) / 1000).toFixed(0)} s`)
  t.is(site.exitCode, 0, explain(site))
  t.is((await onHost('hydra', 'systemctl is-active gfs-writecache.service')).trim(), 'active', "the site run started hydra's agent again")
  const summaries = JSON.stringify(site.events.filter((e) => e.type === 'task:end' && e.host === 'plexus'))
  t.regex(summaries, new RegExp(`take back the glusterd UUID ${oldUuid}`))
  t.regex(summaries, /reset-brick plexus:\/data\/brick1\/gv0/)
  t.is((await onHost('plexus', 'sed -n "s/^UUID=//p" /var/lib/glusterd/glusterd.info')).trim(), oldUuid, 'plexus has its old identity')
  t.regex(await onHost('hydra', 'gluster peer status'), new RegExp(`Uuid: ${oldUuid}\\nState: Peer in Cluster \\(Connected\\)`))

  await onHost('hydra', 'gfs-writecache flush --wait --timeout 300', { timeoutMs: 330_000 })
  for (const h of hosts)
    for (const [path, content] of Object.entries({ ...files, ...cached }))
      await eventually(async () => (await tryOnHost(h, `cat ${brick}/${path}`)).stdout === content || `${h}:${path} not there`, 180_000, 2000)
  t.pass('every file on both bricks')
  for (const h of hosts) {
    t.is((await onHost(h, 'findmnt -n -o FSTYPE /gfs/union; findmnt -n -o FSTYPE /gfs/gv0')).trim(), 'overlay\nfuse.glusterfs', `${h} mounts`)
    t.is((await onHost(h, 'systemctl is-active gfs-writecache.service glusterd.service')).trim(), 'active\nactive', `${h} services`)
  }
  await onHost('plexus', 'echo "from the new plexus" > /gfs/union/from-new-plexus.txt && gfs-writecache flush --wait --timeout 120', { timeoutMs: 150_000 })
  t.is(await onHost('hydra', `cat ${brick}/from-new-plexus.txt`), 'from the new plexus\n', "the new plexus's agent publishes")

  const again = await provision(['--inventory', inventory])
  t.is(again.exitCode, 0, explain(again))
  for (const h of hosts) t.is(again.recap?.hosts[h]?.changed, 0, `a second site run changed something on ${h}`)
})
