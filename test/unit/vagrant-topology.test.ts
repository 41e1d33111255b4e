// The container lab and the Vagrant lab are both built from lab/topology.yaml: the same host names,
// WAN addresses, data disks and inventory hosts; the Vagrant management network is VirtualBox's default
// range with the same host parts. The Vagrantfile itself is checked by the real Vagrant (`vagrant validate`).
import test from 'ava'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync, cpSync, mkdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readTopology } from '../../src/lab/topology.ts'
import { renderInventory } from '../../src/lab/inventory-writer.ts'
import { repoRoot } from '../../src/lab/paths.ts'
import { domainPrefix, labNetworks } from '../../src/vagrant/leftovers.ts'

interface Plan {
  box: string
  libvirtDriver: string
  management: { network: string; netmask: string }
  wan: { network: string; netmask: string }
  machines: { name: string; management: string; wan: string; dataDiskMb: number; memoryMb: number; cpus: number; inInventory: boolean }[]
}

const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GFS_VAGRANT_') && k !== 'LAB_INTRUDER'))

function vagrantPlan(env: Record<string, string> = {}, dir = repoRoot): { status: number; plan?: Plan; err: string } {
  const r = spawnSync('ruby', [join(dir, 'lab', 'vagrant_lab.rb')], { encoding: 'utf8', env: { ...clean, ...env } })
  return { status: r.status ?? -1, plan: r.status === 0 ? JSON.parse(r.stdout) : undefined, err: r.stderr }
}

const toInt = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0) >>> 0
const inNet = (ip: string, net: string) => {
  const [base, bits] = net.split('/')
  const mask = Number(bits) === 0 ? 0 : (~0 << (32 - Number(bits))) >>> 0
  return ((toInt(ip) & mask) >>> 0) === ((toInt(base!) & mask) >>> 0)
}
const hostPart = (ip: string, net: string) => toInt(ip) & ((1 << (32 - Number(net.split('/')[1]))) - 1)

test('both labs build the same hosts from lab/topology.yaml: names, WAN addresses, data disks, memory, inventory', (t) => {
  const topo = readTopology()
  const { plan, err } = vagrantPlan({ LAB_INTRUDER: '1' })
  t.truthy(plan, err)
  const container = [...topo.hosts, topo.intruder]
  t.deepEqual(plan!.machines.map((m) => m.name), container.map((h) => h.name))
  for (const [i, m] of plan!.machines.entries()) {
    const h = container[i]!
    t.is(m.wan, h.wan, `${m.name}: WAN address`)
    t.is(m.dataDiskMb, h.dataDiskMb, `${m.name}: data disk`)
    t.is(m.memoryMb, h.memoryMb, `${m.name}: memory`)
    t.is(hostPart(m.management, plan!.management.network), hostPart(h.management, topo.management.network), `${m.name}: management host part`)
    t.true(inNet(m.management, plan!.management.network), `${m.name}: ${m.management} in ${plan!.management.network}`)
  }
  t.is(plan!.wan.network, topo.wan.network)
  // The inventory lists the same hosts (the intruder never) in both labs.
  const containerInventoryHosts = [...renderInventory(topo.hosts).matchAll(/^ {4}(\w[\w-]*):$/gm)].map((m) => m[1])
  t.deepEqual(plan!.machines.filter((m) => m.inInventory).map((m) => m.name), containerInventoryHosts)
  t.deepEqual(vagrantPlan().plan!.machines.map((m) => m.name), topo.hosts.map((h) => h.name), 'the intruder only with LAB_INTRUDER=1')
})

test('the Vagrant management network is one VirtualBox accepts by default (inside 192.168.56.0/21)', (t) => {
  const { plan } = vagrantPlan()
  const [base, bits] = plan!.management.network.split('/')
  t.true(inNet(base!, '192.168.56.0/21') && Number(bits) >= 21, plan!.management.network)
  t.is(plan!.management.netmask, '255.255.255.0')
  for (const m of plan!.machines) t.true(inNet(m.management, '192.168.56.0/21'), m.management)
})

test('settings from the environment: box, libvirt driver, CPUs and memory; a bad value is refused with its name', (t) => {
  const defaults = vagrantPlan().plan!
  t.is(defaults.box, 'debian/bookworm64')
  t.is(defaults.libvirtDriver, 'kvm')
  const tuned = vagrantPlan({ GFS_VAGRANT_BOX: 'gfs-writecache/bookworm-lab', GFS_VAGRANT_LIBVIRT_DRIVER: 'qemu', GFS_VAGRANT_CPUS: '1', GFS_VAGRANT_MEMORY_MB: '1024' }).plan!
  t.is(tuned.box, 'gfs-writecache/bookworm-lab')
  t.is(tuned.libvirtDriver, 'qemu')
  t.true(tuned.machines.every((m) => m.cpus === 1 && m.memoryMb === 1024))
  for (const [name, value] of [['GFS_VAGRANT_CPUS', '0'], ['GFS_VAGRANT_MEMORY_MB', '1g'], ['GFS_VAGRANT_LIBVIRT_DRIVER', 'xen']] as const) {
    const r = vagrantPlan({ [name]: value })
    t.not(r.status, 0, `${name}=${value}`)
    t.true(r.err.includes(name), r.err)
  }
})

test('a host whose management address is outside the container lab network is refused, naming the file', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gfs-topo-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  mkdirSync(join(dir, 'lab'))
  cpSync(join(repoRoot, 'lab', 'vagrant_lab.rb'), join(dir, 'lab', 'vagrant_lab.rb'))
  writeFileSync(join(dir, 'lab', 'topology.yaml'), readFileSync(join(repoRoot, 'lab', 'topology.yaml'), 'utf8').replace('management: 10.213.0.12', 'management: 10.99.0.12'))
  const r = vagrantPlan({}, dir)
  t.not(r.status, 0)
  t.regex(r.err, /topology\.yaml: plexus: management 10\.99\.0\.12 is not in 10\.213\.0\.0\/24/)
})

// The real Vagrant reads the Vagrantfile with every provider's configuration (Debian's vagrant package).
function validate(env: Record<string, string>) {
  // Its own machine state directory: a Vagrant lab that is up here must not change the answer.
  const dotfiles = mkdtempSync(join(tmpdir(), 'gfs-vagrant-'))
  try {
    return spawnSync('vagrant', ['validate'], { cwd: repoRoot, encoding: 'utf8', env: { ...clean, VAGRANT_CHECKPOINT_DISABLE: '1', VAGRANT_DOTFILE_PATH: dotfiles, ...env } })
  } finally {
    rmSync(dotfiles, { recursive: true, force: true })
  }
}

test('vagrant validate: the Vagrantfile is valid as users run it, and with this machine\'s box and driver', (t) => {
  const envs: Record<string, string>[] = [{}, { GFS_VAGRANT_BOX: 'gfs-writecache/bookworm-lab', GFS_VAGRANT_LIBVIRT_DRIVER: 'qemu', GFS_VAGRANT_CPUS: '1', GFS_VAGRANT_MEMORY_MB: '1024', GFS_VAGRANT_ISOLATED: '1', LAB_INTRUDER: '1' }]
  for (const env of envs) {
    const r = validate(env)
    t.is(r.status, 0, `${JSON.stringify(env)}: ${r.stderr}${r.stdout}`)
    t.regex(r.stdout, /validated successfully/)
  }
  const bad = validate({ GFS_VAGRANT_LIBVIRT_DRIVER: 'xen' })
  t.not(bad.status, 0)
  t.regex(bad.stderr + bad.stdout, /GFS_VAGRANT_LIBVIRT_DRIVER="xen": expected kvm or qemu/)
})

test('the libvirt names test:vagrant checks for leftovers are the ones the Vagrantfile gives', (t) => {
  const vagrantfile = readFileSync(join(repoRoot, 'Vagrantfile'), 'utf8')
  t.true(vagrantfile.includes(`lv.default_prefix = "${domainPrefix}"`))
  for (const n of labNetworks) t.true(vagrantfile.includes(`libvirt__network_name: "${n}"`), n)
  t.is([...vagrantfile.matchAll(/libvirt__network_name: "([^"]+)"/g)].length, labNetworks.length)
})
