// Debian bookworm root file systems built once with debootstrap and cached outside the repo.
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, rmSync, mkdirSync, writeFileSync, renameSync, readdirSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { cacheDir } from './paths.ts'
import { must } from './proc.ts'
import { LabError } from './errors.ts'
import { withSharedLock } from './lock.ts'

export type Flavor = 'ready' | 'bare'

const suite = 'bookworm'

/** Packages each flavor preinstalls: `ready` for fast tests, `bare` so provisioning installs for real. */
export const flavorPackages: Record<Flavor, string[]> = {
  ready: [
    'systemd', 'systemd-sysv', 'dbus', 'openssh-server', 'iproute2', 'iputils-ping',
    'glusterfs-server', 'glusterfs-client', 'nodejs', 'attr', 'psmisc', 'procps', 'kmod',
    'fuse3', 'ca-certificates', 'sudo',
  ],
  bare: ['systemd', 'systemd-sysv', 'dbus', 'openssh-server'],
}

export interface Mirrors {
  debian: string
  security: string
}

/** Reads this machine's own Debian mirrors, so the lab fetches from where the machine already does. */
export function machineMirrors(): Mirrors {
  const mirrors: Mirrors = { debian: 'http://deb.debian.org/debian', security: 'http://deb.debian.org/debian-security' }
  const deb822 = '/etc/apt/sources.list.d/debian.sources'
  if (existsSync(deb822)) {
    for (const stanza of readFileSync(deb822, 'utf8').split(/\n\s*\n/)) {
      const uri = /^URIs:\s*(\S+)/m.exec(stanza)?.[1]
      const suites = /^Suites:\s*(.+)$/m.exec(stanza)?.[1]?.split(/\s+/) ?? []
      if (!uri) continue
      if (suites.includes(`${suite}-security`)) mirrors.security = uri
      else if (suites.includes(suite)) mirrors.debian = uri
    }
  } else if (existsSync('/etc/apt/sources.list')) {
    const m = /^deb\s+(?:\[[^\]]*\]\s+)?(http\S+)\s+bookworm\s/m.exec(readFileSync('/etc/apt/sources.list', 'utf8'))
    if (m?.[1]) mirrors.debian = m[1]
  }
  return mirrors
}

/** Names the cache entry by everything that shapes its content, so a changed package list rebuilds. */
export function rootfsKey(flavor: Flavor, mirrors = machineMirrors()): string {
  const packages = [...flavorPackages[flavor]].sort()
  const hash = createHash('sha256').update(JSON.stringify({ suite, variant: 'minbase', packages, mirror: mirrors.debian, v: 1 }))
  return `rootfs-${suite}-${flavor}-${hash.digest('hex').slice(0, 12)}`
}

/** Debian sources for a host, in deb822 form, using the machine's mirrors. */
export function debianSources(mirrors: Mirrors): string {
  return [
    `Types: deb\nURIs: ${mirrors.debian}\nSuites: ${suite} ${suite}-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n`,
    `Types: deb\nURIs: ${mirrors.security}\nSuites: ${suite}-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n`,
  ].join('\n')
}

/** Strips what must be unique per host (ssh host keys, machine id) so no two hosts share it. */
export function scrubRootfs(dir: string, mirrors: Mirrors): void {
  const sshDir = join(dir, 'etc/ssh')
  for (const f of existsSync(sshDir) ? readdirSync(sshDir) : []) {
    if (f.startsWith('ssh_host_')) rmSync(join(sshDir, f))
  }
  writeFileSync(join(dir, 'etc/machine-id'), '')
  rmSync(join(dir, 'var/lib/dbus/machine-id'), { force: true })
  rmSync(join(dir, 'etc/apt/sources.list'), { force: true })
  mkdirSync(join(dir, 'etc/apt/sources.list.d'), { recursive: true })
  writeFileSync(join(dir, 'etc/apt/sources.list.d/debian.sources'), debianSources(mirrors))
  // No console login prompts in a headless lab host.
  mkdirSync(join(dir, 'etc/systemd/system'), { recursive: true })
  for (const unit of ['console-getty.service', 'getty@.service', 'systemd-networkd-wait-online.service']) {
    rmSync(join(dir, 'etc/systemd/system', unit), { force: true })
    symlinkSync('/dev/null', join(dir, 'etc/systemd/system', unit))
  }
}

/** Returns the cached root file system for a flavor, building it with debootstrap when absent. */
export async function ensureRootfs(flavor: Flavor, log: (line: string) => void): Promise<string> {
  const mirrors = machineMirrors()
  const key = rootfsKey(flavor, mirrors)
  const dir = join(cacheDir, key)
  if (existsSync(join(dir, '.lab-rootfs.json'))) return dir
  mkdirSync(cacheDir, { recursive: true })
  // The cache is shared by all lab instances: one builds, the others wait and then use its result.
  return withSharedLock(join(cacheDir, `.lock-${key}`), `build ${key}`, 30 * 60 * 1000, async () => {
    if (existsSync(join(dir, '.lab-rootfs.json'))) return dir
    return buildRootfs(flavor, mirrors, key, dir, log)
  })
}

async function buildRootfs(flavor: Flavor, mirrors: Mirrors, key: string, dir: string, log: (line: string) => void): Promise<string> {
  // A build interrupted earlier leaves only a temporary directory; never a half-built cache entry.
  for (const stale of readdirSync(cacheDir)) {
    if (stale.startsWith(`.build-${key}-`)) rmSync(join(cacheDir, stale), { recursive: true, force: true })
  }
  const tmp = join(cacheDir, `.build-${key}-${process.pid}`)
  log(`building ${flavor} root file system with debootstrap (once; cached in ${dir})`)
  const started = Date.now()
  await must(['debootstrap', '--variant=minbase', `--include=${flavorPackages[flavor].join(',')}`, suite, tmp, mirrors.debian])
  scrubRootfs(tmp, mirrors)
  writeFileSync(join(tmp, '.lab-rootfs.json'), JSON.stringify({ flavor, suite, packages: flavorPackages[flavor], mirrors, builtAt: new Date().toISOString() }, null, 2) + '\n')
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true })
  renameSync(tmp, dir)
  log(`built ${flavor} root file system in ${((Date.now() - started) / 1000).toFixed(0)} s`)
  return dir
}

/** Fails early with a clear message when a flavor name is mistyped. */
export function parseFlavor(value: string | undefined): Flavor {
  if (value === undefined) return 'ready'
  if (value === 'ready' || value === 'bare') return value
  throw new LabError(`unknown flavor "${value}"`, 'expected --flavor ready or --flavor bare')
}
