// SSH material: the lab's client key (kept across runs) and per-host host keys with a known_hosts file.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { knownHostsPath, privateKeyPath, sshDir } from './paths.ts'
import { must } from './proc.ts'
import type { LabHost } from './topology.ts'

/** Creates the lab's client key once; the inventory points at it. */
export async function ensureClientKey(): Promise<string> {
  mkdirSync(sshDir, { recursive: true, mode: 0o700 })
  if (!existsSync(privateKeyPath)) {
    await must(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'gfs-writecache-lab', '-f', privateKeyPath])
  }
  return readFileSync(`${privateKeyPath}.pub`, 'utf8').trim()
}

/** Generates a host's own sshd host key inside its root (never shared between hosts). */
export async function ensureHostKey(root: string, name: string): Promise<string> {
  const key = join(root, 'etc/ssh/ssh_host_ed25519_key')
  if (!existsSync(key)) {
    await must(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', `root@${name}`, '-f', key])
  }
  return readFileSync(`${key}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ')
}

/** Writes known_hosts with each host's real key under its management address and name. */
export function writeKnownHosts(entries: { host: LabHost; publicKey: string }[]): void {
  mkdirSync(sshDir, { recursive: true, mode: 0o700 })
  const lines = entries.map(({ host, publicKey }) => `${host.management},${host.name} ${publicKey}`)
  writeFileSync(knownHostsPath, lines.join('\n') + '\n', { mode: 0o644 })
}

/** Forgets the known hosts on `down` (the next `up` generates new host keys). */
export function removeKnownHosts(): void {
  rmSync(knownHostsPath, { force: true })
}

/** ssh options for strict, non-interactive access to a lab host. */
export function sshArgs(knownHosts = knownHostsPath): string[] {
  return [
    '-i', privateKeyPath,
    '-o', 'IdentitiesOnly=yes',
    '-o', `UserKnownHostsFile=${knownHosts}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'BatchMode=yes',
    '-o', 'ConnectTimeout=5',
    '-o', 'LogLevel=ERROR',
  ]
}
