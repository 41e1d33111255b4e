// Checks before touching anything: root, and the tools the lab needs (installed by `lab deps`).
import { existsSync } from 'node:fs'
import { LabError } from './errors.ts'
import { must, sbinDirs } from './proc.ts'

/** Debian packages the lab needs on the machine that runs it. */
export const debianDeps = [
  'systemd-container', 'debootstrap', 'apt-cacher-ng', 'openssh-client', 'e2fsprogs',
  'iproute2', 'util-linux', 'mount', 'gcc', 'libc6-dev', 'ca-certificates',
  // the controller's side of the tests: a throw-away sshd for the SSH executor tests, xattr tools
  // for the agent's tests on a local overlay, openssl for the TLS CA
  'openssh-server', 'attr', 'openssl',
  // promtool checks and unit-tests the shipped alert rules (monitoring/)
  'prometheus',
  // `vagrant validate` of the Vagrantfile, libvirt's settings included (and ruby for lab/vagrant_lab.rb);
  // the VMs themselves are opt-in (`npm run test:vagrant`)
  'vagrant', 'vagrant-libvirt',
]

const tools: Record<string, string> = {
  'systemd-nspawn': 'systemd-container',
  debootstrap: 'debootstrap',
  'apt-cacher-ng': 'apt-cacher-ng',
  ssh: 'openssh-client',
  'ssh-keygen': 'openssh-client',
  'mkfs.ext4': 'e2fsprogs',
  ip: 'iproute2',
  tc: 'iproute2',
  bridge: 'iproute2',
  mount: 'mount',
  losetup: 'mount',
  nsenter: 'util-linux',
  gcc: 'gcc',
}

/** Refuses to run as a normal user: namespaces, mounts and loop devices need root. */
export function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new LabError('the lab needs root (network namespaces, mounts, loop devices, systemd-nspawn)', 'run it as root, e.g. `sudo npm run lab -- up`')
  }
}

/** Names missing tools and the package that provides each, pointing at `lab deps`. */
export function requireTools(): void {
  const missing = Object.entries(tools).filter(([tool]) => !sbinDirs.some((d) => existsSync(`${d}/${tool}`)))
  if (missing.length) {
    const list = missing.map(([t, p]) => `${t} (${p})`).join(', ')
    throw new LabError(`missing tools: ${list}`, 'run `npm run lab -- deps` to install them')
  }
  for (const dev of ['/dev/fuse', '/dev/net/tun', '/dev/loop-control']) {
    if (!existsSync(dev)) throw new LabError(`${dev} is missing: the lab needs FUSE, TUN/TAP and loop devices in this kernel`)
  }
}

/** Installs the lab's Debian packages with apt-get (used by CI on a fresh machine). */
export async function installDeps(log: (line: string) => void): Promise<void> {
  requireRoot()
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  log(`apt-get install ${debianDeps.join(' ')}`)
  await must(['apt-get', 'update'], { env })
  await must(['apt-get', 'install', '-y', '--no-install-recommends', ...debianDeps], { env })
  // The package starts a system-wide apt-cacher-ng; the lab runs its own on its bridge, on another port.
  log('installed; the lab starts its own apt-cacher-ng on its bridge when it is up')
}
