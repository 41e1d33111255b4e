// Where the lab keeps its state: outside the repository, except the inventory it writes.
// Instance 0 lives in the base directory itself; instance N in base/N. The root file system cache is shared.
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import { instance, inventoryNameOf } from './instance.ts'

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
/** The directory every instance's state lives under. */
export const baseRoot = process.env.GFS_LAB_ROOT ?? '/var/lib/gfs-writecache-lab'
export const labRoot = instance === 0 ? baseRoot : join(baseRoot, String(instance))
/** Shared by all instances: entries are built under a lock and renamed into place, then only read. */
export const cacheDir = join(baseRoot, 'cache')
export const sshDir = join(labRoot, 'ssh')
export const hostsDir = join(labRoot, 'hosts')
export const runDir = join(labRoot, 'run')
// Per instance: two apt-cacher-ng daemons must not write one cache directory.
export const aptCacheDir = join(labRoot, 'apt-cacher-ng')
export const topologyPath = join(repoRoot, 'lab', 'topology.yaml')
export const inventoryPath = join(repoRoot, 'inventory', `${inventoryNameOf(instance)}.yaml`)
export const privateKeyPath = join(sshDir, 'id_ed25519')
export const knownHostsPath = join(sshDir, 'known_hosts')

/** Per-host directory layout, so every module agrees on where a host's parts live. */
export function hostPaths(name: string) {
  const dir = join(hostsDir, name)
  return {
    dir,
    upper: join(dir, 'upper'),
    work: join(dir, 'work'),
    root: join(dir, 'root'),
    diskImage: join(dir, 'data.img'),
    diskMount: join(dir, 'data'),
    supervisorPid: join(runDir, `${name}.supervisor.pid`),
    supervisorLog: join(runDir, `${name}.log`),
    bootCount: join(runDir, `${name}.boots`),
  }
}
