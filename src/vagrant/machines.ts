// Driving the Vagrant lab from code (the opt-in VM test): libvirt's daemons, `vagrant` with this machine's
// settings, and ssh to the VMs as the inventory `vagrant up` wrote describes them.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { repoRoot } from '../lab/paths.ts'
import { must, run, sleep } from '../lab/proc.ts'
import { LabError } from '../lab/errors.ts'
import type { Result } from '../engine/result.ts'
import { runProcess } from '../engine/process.ts'
import { localBoxName } from './box-files.ts'

export const vagrantInventoryPath = join(repoRoot, 'inventory', 'vagrant.yaml')

/**
 * Settings for `vagrant` on this machine: the local box, 1 vCPU per VM, qemu's software driver (KVM guests
 * stall here) and no NAT; each can be overridden from the environment. Memory is lab/topology.yaml's, as users
 * get it (with 1 GiB, two of the agent's 16 drain mounts failed to start once).
 */
export function vagrantEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    ...env,
    GFS_VAGRANT_BOX: env.GFS_VAGRANT_BOX || localBoxName,
    GFS_VAGRANT_LIBVIRT_DRIVER: env.GFS_VAGRANT_LIBVIRT_DRIVER || 'qemu',
    GFS_VAGRANT_CPUS: env.GFS_VAGRANT_CPUS || '1',
    GFS_VAGRANT_ISOLATED: env.GFS_VAGRANT_ISOLATED || '1',
    VAGRANT_CHECKPOINT_DISABLE: '1',
    VAGRANT_DEFAULT_PROVIDER: 'libvirt',
  }
}

/** Debian packages the Vagrant lab needs on this machine (libvirt, qemu, and dnsmasq for libvirt's networks). */
export const vagrantLabPackages = ['vagrant', 'vagrant-libvirt', 'libvirt-daemon-system', 'qemu-system-x86', 'qemu-utils', 'dnsmasq-base']

const tools: Record<string, string> = {
  vagrant: 'vagrant', virsh: 'libvirt-clients', libvirtd: 'libvirt-daemon-system', 'qemu-system-x86_64': 'qemu-system-x86',
  'qemu-img': 'qemu-utils', dnsmasq: 'dnsmasq-base', 'systemd-nspawn': 'systemd-container', 'mkfs.ext4': 'e2fsprogs',
}

/** Names every missing tool and its package at once, before anything is started or built. */
export function requireVagrantTools(): void {
  const dirs = (process.env.PATH ?? '').split(':')
  const missing = Object.entries(tools).filter(([tool]) => !dirs.some((d) => existsSync(join(d, tool))))
  if (missing.length) {
    throw new LabError(`missing: ${missing.map(([t, p]) => `${t} (${p})`).join(', ')}`,
      `apt-get install --no-install-recommends ${vagrantLabPackages.join(' ')}`)
  }
}

/** Starts virtlogd and libvirtd when nothing answers on qemu:///system and PID 1 is not systemd (containers, CI). */
export async function ensureLibvirtd(log: (line: string) => void): Promise<void> {
  const answers = async () => (await run(['virsh', '-c', 'qemu:///system', 'version'], { timeoutMs: 30_000 })).exitCode === 0
  if (await answers()) return
  const init = existsSync('/proc/1/comm') ? readFileSync('/proc/1/comm', 'utf8').trim() : ''
  if (init === 'systemd') throw new LabError('libvirtd does not answer on qemu:///system', 'systemctl start libvirtd')
  log('starting virtlogd and libvirtd (PID 1 is not systemd)')
  await run(['virtlogd', '--daemon'])
  await must(['libvirtd', '--daemon'])
  for (let i = 0; i < 60; i++) {
    if (await answers()) return
    await sleep(1000)
  }
  throw new LabError('libvirtd started but does not answer on qemu:///system')
}

/** Runs `vagrant ARGS` in the repository with the Vagrant lab's settings. */
export async function vagrant(args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<Result> {
  return runProcess(['vagrant', ...args], { env: options.env ?? vagrantEnv(), timeoutMs: options.timeoutMs ?? 30 * 60_000, cwd: repoRoot })
}

export interface VagrantHost {
  name: string
  address: string
  key: string
}

/** The hosts inventory/vagrant.yaml names, with the address and key to reach each. */
export function vagrantHosts(path = vagrantInventoryPath): { hosts: VagrantHost[]; knownHosts: string } {
  if (!existsSync(path)) throw new LabError(`${path} is missing`, 'run `vagrant up` first: it writes the inventory')
  const inv = parse(readFileSync(path, 'utf8'))
  const hosts = Object.entries<any>(inv.all.hosts).map(([name, h]) => ({ name, address: h.ansible_host, key: h.ansible_ssh_private_key_file }))
  return { hosts, knownHosts: inv.all.vars.known_hosts_file }
}

/** Runs a shell script as root on a VM over ssh with strict host-key checking against the inventory's known_hosts. */
export async function onVm(host: string, script: string, options: { timeoutMs?: number } = {}): Promise<Result> {
  const { hosts, knownHosts } = vagrantHosts()
  const h = hosts.find((x) => x.name === host)
  if (!h) throw new LabError(`${host} is not in ${vagrantInventoryPath}`)
  return run(['ssh', '-i', h.key, '-o', 'IdentitiesOnly=yes', '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', '-o', 'LogLevel=ERROR', `root@${h.address}`, script], { timeoutMs: options.timeoutMs ?? 10 * 60_000 })
}
