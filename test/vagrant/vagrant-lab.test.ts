// `npm run test:vagrant` (opt-in, slow): the Vagrant lab as users run it, on this machine's libvirt.
// Builds or reuses the local box, `vagrant up` both hosts, checks they match lab/topology.yaml, runs the site
// playbook against inventory/vagrant.yaml, writes through hydra's union and finds the file on both bricks after
// `flush --wait`, re-runs site expecting 0 changed, and always ends with `vagrant destroy -f` (also when stopped by
// ava's timeout or Ctrl-C).
// Settings: GFS_VAGRANT_LIBVIRT_DRIVER (default qemu), GFS_VAGRANT_CPUS (1), GFS_VAGRANT_MEMORY_MB (the topology's).
import test from 'ava'
import { readFileSync } from 'node:fs'
import { ensureBox } from '../../src/vagrant/box.ts'
import { ensureLibvirtd, requireVagrantTools, onVm, vagrant, vagrantHosts, vagrantInventoryPath } from '../../src/vagrant/machines.ts'
import { destroyOnSignal } from '../../src/vagrant/cleanup.ts'
import { libvirtLeftovers } from '../../src/vagrant/leftovers.ts'
import { readTopology } from '../../src/lab/topology.ts'
import { explain, provision } from '../helpers/provision.ts'

const phases: [string, number][] = []
async function timed<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now()
  try {
    return await fn()
  } finally {
    phases.push([name, (Date.now() - started) / 1000])
    console.error(`vagrant lab: ${name}: ${((Date.now() - started) / 1000).toFixed(0)} s`)
  }
}

async function must(host: string, script: string): Promise<string> {
  const r = await onVm(host, script)
  if (r.exitCode !== 0) throw new Error(`${host}: \`${script}\` exited ${r.exitCode}: ${r.stderr.trim() || r.stdout.trim()}`)
  return r.stdout
}

const log = (line: string) => console.error(`vagrant lab: ${line}`)

/** What a failed run needs to be understood once the VMs are gone: memory, failed units, the last warnings. */
async function diagnose(): Promise<string> {
  const script = 'free -m; systemctl --failed --no-legend --plain; journalctl -b --no-pager -p warning -n 40; dmesg | grep -iE "out of memory|oom-kill" | tail -n 5'
  const out: string[] = []
  for (const host of ['hydra', 'plexus']) out.push(`--- ${host}\n${(await onVm(host, script, { timeoutMs: 120_000 })).stdout}`)
  return out.join('\n')
}

test.before(async () => {
  if (process.getuid?.() !== 0) throw new Error('the Vagrant lab test drives libvirt as root')
  requireVagrantTools()
  // ava's timeout and Ctrl-C skip after.always: the VMs go anyway
  destroyOnSignal(log)
  await timed('libvirtd', () => ensureLibvirtd(log))
  await timed('box (build or reuse)', () => ensureBox(log))
  await timed('destroy leftovers', () => vagrant(['destroy', '-f']))
})

test.after.always(async () => {
  const r = await timed('vagrant destroy -f', () => vagrant(['destroy', '-f'], { timeoutMs: 10 * 60_000 }))
  const total = phases.reduce((s, [, sec]) => s + sec, 0)
  console.error(`vagrant lab: phases: ${phases.map(([n, s]) => `${n} ${s.toFixed(0)} s`).join(', ')}; total ${total.toFixed(0)} s`)
  if (r.exitCode !== 0) throw new Error(`vagrant destroy -f failed (exit ${r.exitCode}): ${r.stderr.trim()}`)
  const left = await libvirtLeftovers()
  if (left.length) throw new Error(`vagrant destroy -f left behind in libvirt: ${left.join(', ')}`)
})

test.serial('vagrant up builds hydra and plexus as lab/topology.yaml says, and writes inventory/vagrant.yaml', async (t) => {
  const up = await timed('vagrant up', () => vagrant(['up', '--provider=libvirt']))
  t.is(up.exitCode, 0, up.stderr.slice(-3000) + up.stdout.slice(-3000))
  const { hosts } = vagrantHosts()
  const topo = readTopology()
  t.deepEqual(hosts.map((h) => h.name), topo.hosts.map((h) => h.name))
  t.regex(readFileSync(vagrantInventoryPath, 'utf8'), /known_hosts_file: /)
  for (const [i, h] of hosts.entries()) {
    const want = topo.hosts[i]!
    t.is(h.address.split('.').slice(0, 3).join('.'), '192.168.56', `${h.name}: management network`)
    t.is(h.address.split('.')[3], want.management.split('.')[3], `${h.name}: management host part`)
    t.is((await must(h.name, 'hostname')).trim(), want.name)
    const addrs = await must(h.name, 'ip -4 -o addr show')
    t.true(addrs.includes(` ${h.address}/24 `), `${h.name}: ${addrs}`)
    t.true(addrs.includes(` ${want.wan}/24 `), `${h.name}: ${addrs}`)
    const disk = await must(h.name, 'findmnt -no SOURCE,FSTYPE /data && lsblk -bdno SIZE "$(findmnt -no SOURCE /data)"')
    const [source, size] = disk.trim().split('\n')
    t.regex(source!, /^\/dev\/vdb\s+ext4$/)
    t.is(Number(size), want.dataDiskMb * 1024 * 1024, `${h.name}: data disk size`)
    // The WAN is the link gluster uses: names resolve to it and the other host answers there.
    const other = topo.hosts.find((x) => x.name !== want.name)!
    t.is((await must(h.name, `getent hosts ${other.name}`)).trim().split(/\s+/)[0], other.wan)
    t.is((await onVm(h.name, `ping -c 1 -W 5 ${other.wan} >/dev/null`)).exitCode, 0, `${h.name} reaches ${other.name} over the WAN`)
  }
})

test.serial('site playbook against inventory/vagrant.yaml; a file written through hydra\'s union is on both bricks after flush --wait; a re-run changes nothing', async (t) => {
  const site = await timed('site (first run)', () => provision(['--inventory', 'vagrant'], { timeoutMs: 60 * 60_000 }))
  if (site.exitCode !== 0) console.error(await diagnose())
  t.is(site.exitCode, 0, explain(site))
  const content = `written through the union of hydra at ${new Date().toISOString()}`
  await timed('write + flush --wait', () => must('hydra', `printf '%s\\n' '${content}' > /gfs/union/vagrant-lab.txt && gfs-writecache flush --wait --timeout 600`))
  for (const host of ['hydra', 'plexus']) {
    t.is(await must(host, 'cat /data/brick1/gv0/vagrant-lab.txt'), content + '\n', `${host}'s brick`)
  }
  t.is(await must('plexus', 'cat /gfs/union/vagrant-lab.txt'), content + '\n', 'plexus reads it through its union')
  const again = await timed('site (re-run)', () => provision(['--inventory', 'vagrant'], { timeoutMs: 30 * 60_000 }))
  t.is(again.exitCode, 0, explain(again))
  for (const [host, tally] of Object.entries(again.recap!.hosts)) t.is(tally.changed, 0, `${host}: ${JSON.stringify(tally)}`)
})
