// A host's own root: an overlay over the cached root file system, with its identity written in.
import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { hostPaths } from './paths.ts'
import { isMounted, unmount } from './disk.ts'
import { must } from './proc.ts'
import { ensureHostKey } from './ssh-keys.ts'
import type { LabHost, Topology } from './topology.ts'

/** Mounts the host's overlay root (idempotent); the cached lower layer is never written. */
export async function mountHostRoot(name: string, rootfs: string): Promise<void> {
  const p = hostPaths(name)
  for (const d of [p.upper, p.work, p.root]) mkdirSync(d, { recursive: true })
  if (isMounted(p.root)) return
  await must(['mount', '-t', 'overlay', 'overlay', '-o', `lowerdir=${rootfs},upperdir=${p.upper},workdir=${p.work}`, p.root])
}

/** Unmounts the host's overlay root. */
export async function unmountHostRoot(name: string): Promise<void> {
  await unmount(hostPaths(name).root)
}

/** Removes the host's writable layer and disk image, so the next `up` starts it fresh. */
export function removeHostFiles(name: string): void {
  rmSync(hostPaths(name).dir, { recursive: true, force: true })
}

/** /etc/hosts for every lab host: gluster traffic goes over the WAN addresses. */
export function etcHosts(topo: Topology, all: LabHost[], self: LabHost): string {
  const lines = ['127.0.0.1\tlocalhost', `127.0.1.1\t${self.name}-loopback`, '::1\tlocalhost ip6-localhost ip6-loopback']
  for (const h of all) lines.push(`${h.wan}\t${h.name}`)
  for (const h of all) lines.push(`${h.management}\t${h.name}-mgmt`)
  lines.push(`${topo.management.gateway}\tlab-gateway`)
  return lines.join('\n') + '\n'
}

/** Writes the host's identity: hostname, hosts file, machine id, sshd host key, root's authorized key, apt proxy. */
export async function personalizeHostRoot(topo: Topology, all: LabHost[], host: LabHost, clientKey: string): Promise<string> {
  const root = hostPaths(host.name).root
  const at = (rel: string) => join(root, rel)
  writeFileSync(at('etc/hostname'), `${host.name}\n`)
  writeFileSync(at('etc/hosts'), etcHosts(topo, all, host))
  if (readFileSync(at('etc/machine-id'), 'utf8').trim() === '') {
    writeFileSync(at('etc/machine-id'), randomBytes(16).toString('hex') + '\n')
  }
  const publicKey = await ensureHostKey(root, host.name)
  mkdirSync(at('root/.ssh'), { recursive: true, mode: 0o700 })
  chmodSync(at('root/.ssh'), 0o700)
  writeFileSync(at('root/.ssh/authorized_keys'), clientKey + '\n', { mode: 0o600 })
  mkdirSync(at('etc/apt/apt.conf.d'), { recursive: true })
  writeFileSync(
    at('etc/apt/apt.conf.d/01lab-proxy'),
    `// Written by the lab: apt reaches the registry only through the lab's apt-cacher-ng.\nAcquire::http::Proxy "http://${topo.management.gateway}:${topo.aptProxy.port}";\nAcquire::https::Proxy "DIRECT";\n`,
  )
  mkdirSync(at('data'), { recursive: true })
  if (!existsSync(at('etc/ssh/sshd_config.d'))) mkdirSync(at('etc/ssh/sshd_config.d'), { recursive: true })
  writeFileSync(at('etc/ssh/sshd_config.d/lab.conf'), 'PermitRootLogin prohibit-password\nUseDNS no\nHostKey /etc/ssh/ssh_host_ed25519_key\n')
  return publicKey
}
