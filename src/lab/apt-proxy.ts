// The lab's own apt-cacher-ng on the management gateway: hosts reach the registry only through it.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { aptCacheDir, runDir } from './paths.ts'
import { livePidIn, pidAlive, stopPid } from './pids.ts'
import { sleep, startDetached } from './proc.ts'
import { LabError } from './errors.ts'
import { machineMirrors, type Mirrors } from './rootfs.ts'
import type { Topology } from './topology.ts'

const pidFile = join(runDir, 'apt-cacher-ng.pid')

/** The proxy's pid when it is running. */
export function aptProxyPid(): number | undefined {
  return livePidIn(pidFile)
}

function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: 500 })
    s.on('connect', () => (s.destroy(), resolve(true)))
    s.on('error', () => resolve(false))
    s.on('timeout', () => (s.destroy(), resolve(false)))
  })
}

/** Our own apt-cacher-ng configuration: the system's may be half-configured (an empty backends file gives 503). */
export function aptProxyConfig(topo: Topology, mirrors: Mirrors): string {
  const slash = (u: string) => (u.endsWith('/') ? u : u + '/')
  return [
    '# Written by the lab (src/lab/apt-proxy.ts); regenerated on every start.',
    `CacheDir: ${join(aptCacheDir, 'cache')}`,
    `LogDir: ${join(aptCacheDir, 'log')}`,
    'SupportDir: /usr/lib/apt-cacher-ng',
    `BindAddress: ${topo.management.gateway}`,
    `Port: ${topo.aptProxy.port}`,
    `SocketPath: ${join(runDir, 'apt-cacher-ng.socket')}`,
    `PidFile: ${join(runDir, 'apt-cacher-ng.selfpid')}`,
    `Remap-debrep: deb.debian.org/debian ftp.debian.org/debian /debian ; ${slash(mirrors.debian)}`,
    `Remap-secdeb: security.debian.org security.debian.org/debian-security deb.debian.org/debian-security /debian-security ; ${slash(mirrors.security)}`,
    'ExThreshold: 4',
    '',
  ].join('\n')
}

/** Starts apt-cacher-ng bound to the bridge address only, with its cache outside the repo; idempotent. */
export async function ensureAptProxy(topo: Topology): Promise<void> {
  const { gateway } = topo.management
  const { port } = topo.aptProxy
  if (aptProxyPid() && (await listening(gateway, port))) return
  await stopAptProxy()
  if (!existsSync('/usr/sbin/apt-cacher-ng')) throw new LabError('apt-cacher-ng is not installed', 'run `npm run lab -- deps`')
  for (const d of [join(aptCacheDir, 'cache'), join(aptCacheDir, 'log'), runDir]) mkdirSync(d, { recursive: true })
  const confDir = join(runDir, 'apt-cacher-ng.conf.d')
  mkdirSync(confDir, { recursive: true })
  writeFileSync(join(confDir, 'acng.conf'), aptProxyConfig(topo, machineMirrors()))
  const pid = startDetached(['/usr/sbin/apt-cacher-ng', '-c', confDir, 'ForeGround=1'], join(runDir, 'apt-cacher-ng.log'))
  writeFileSync(pidFile, String(pid))
  for (let i = 0; i < 50; i++) {
    if (await listening(gateway, port)) return
    if (!pidAlive(pid)) break
    await sleep(100)
  }
  throw new LabError(`apt-cacher-ng did not start on ${gateway}:${port}; see ${join(runDir, 'apt-cacher-ng.log')}`)
}

/** Stops the lab's apt-cacher-ng (never any other instance). */
export async function stopAptProxy(): Promise<void> {
  const pid = aptProxyPid()
  if (pid) await stopPid(pid, 3000)
  rmSync(pidFile, { force: true })
}
