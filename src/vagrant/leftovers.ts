// What the Vagrant lab leaves in libvirt after `vagrant destroy -f`: nothing but the box's base image,
// which the next `vagrant up` reuses. Names as the Vagrantfile sets them (default_prefix, network names).
import { run } from '../lab/proc.ts'

export const domainPrefix = 'gfs-writecache_'
export const labNetworks = ['gfs-lab-mgmt', 'gfs-lab-wan']

async function names(args: string[]): Promise<string[]> {
  const r = await run(['virsh', '-c', 'qemu:///system', ...args], { timeoutMs: 60_000 })
  if (r.exitCode !== 0) throw new Error(`virsh ${args.join(' ')} failed: ${r.stderr.trim()}`)
  return r.stdout.split('\n').map((l) => l.trim()).filter(Boolean)
}

/** The lab's domains, networks and volumes (in the `default` pool) that libvirt still has. */
export async function libvirtLeftovers(): Promise<string[]> {
  const domains = (await names(['list', '--all', '--name'])).filter((n) => n.startsWith(domainPrefix))
  const networks = (await names(['net-list', '--all', '--name'])).filter((n) => labNetworks.includes(n))
  const pools = await names(['pool-list', '--all', '--name'])
  const volumes = pools.includes('default')
    ? (await names(['vol-list', 'default'])).map((l) => l.split(/\s+/)[0]!).filter((n) => n.startsWith(domainPrefix))
    : []
  return [...domains.map((d) => `domain ${d}`), ...networks.map((n) => `network ${n}`), ...volumes.map((v) => `volume default/${v}`)]
}
