// The lab's operations: each step checks what exists first, so `up` and `down` also repair a half-up lab.
import { existsSync, readdirSync, rmSync } from 'node:fs'
import { hostPaths, hostsDir, repoRoot } from './paths.ts'
import { allHosts, hostByName, loadTopology, runningHosts, type LabHost, type Topology } from './topology.ts'
import { ensureRootfs, type Flavor } from './rootfs.ts'
import { ensureDataDisk, isMounted, releaseDataDisk } from './disk.ts'
import { coreExists, ensureCore, ensureHostNetwork, removeAllNetwork, removeHostNetwork } from './network.ts'
import { mountHostRoot, personalizeHostRoot, removeHostFiles, unmountHostRoot } from './host-root.ts'
import { bootCount, containerInit, execIn, restartCgroupFailures, sshBanner, startSupervisor, stopHost, supervisorPid, waitForSsh } from './container.ts'
import { ensureClientKey, removeKnownHosts, sshArgs, writeKnownHosts } from './ssh-keys.ts'
import { aptProxyPid, ensureAptProxy, stopAptProxy } from './apt-proxy.ts'
import { delayLinePid, stopDelayLine } from './delay-line.ts'
import { applyLink, applyShape } from './shape.ts'
import { clearState, readState, writeState, type LabState, type Shape } from './state.ts'
import { removeInventory, writeInventory } from './inventory-writer.ts'
import { requireRoot, requireTools } from './preflight.ts'
import { withLock } from './lock.ts'
import { run, sleep } from './proc.ts'
import { stopPid } from './pids.ts'
import { leftovers, ownLoops, ownMounts, strayNspawns } from './leftovers.ts'
import { LabError } from './errors.ts'

export { hostByName, runningHosts }

export type Log = (line: string) => void

export interface UpOptions {
  flavor?: Flavor
  intruder?: boolean
  /** a third host with the arbiter brick, written into the inventory as role: arbiter */
  arbiter?: boolean
  log?: Log
}

const quiet: Log = () => {}

async function teardownHost(name: string): Promise<void> {
  await stopHost(name)
  await unmountHostRoot(name)
  await releaseDataDisk(name)
  await removeHostNetwork(name)
  removeHostFiles(name)
}

async function ensureHost(topo: Topology, peers: LabHost[], host: LabHost, rootfs: string, clientKey: string, log: Log): Promise<string> {
  const running = supervisorPid(host.name) && (await containerInit(host.name))
  const rootOk = isMounted(hostPaths(host.name).root)
  if (running && rootOk) {
    await ensureHostNetwork(topo, host)
    return personalizeHostRoot(topo, peers, host, clientKey)
  }
  if (running || rootOk || supervisorPid(host.name)) log(`${host.name}: half up, restarting it`)
  await stopHost(host.name)
  await ensureHostNetwork(topo, host)
  await ensureDataDisk(host)
  await mountHostRoot(host.name, rootfs)
  const publicKey = await personalizeHostRoot(topo, peers, host, clientKey)
  log(`${host.name}: booting`)
  await startSupervisor(host.name)
  return publicKey
}

/** Destroys one host: its container, root layer (host keys, glusterd's state) and data disk; `up` makes it anew. */
export async function destroyHost(name: string): Promise<void> {
  requireRoot()
  hostByName(loadTopology(), name)
  await withLock(`destroy ${name}`, () => teardownHost(name))
}

/** Says which units a host's boot started again after a cgroup race (container.ts, restartCgroupFailures). */
function logRestarted(name: string, units: string[], log?: (line: string) => void): void {
  if (units.length) log?.(`${name}: started again after a cgroup race at boot: ${units.join(', ')}`)
}

/** Brings the lab up (or repairs it) and writes inventory/lab.yaml; returns once sshd answers on every host. */
export async function up(opts: UpOptions = {}): Promise<void> {
  const log = opts.log ?? quiet
  requireRoot()
  requireTools()
  await withLock('up', async () => {
    const started = Date.now()
    const topo = loadTopology()
    const prev = readState()
    const flavor = opts.flavor ?? 'ready'
    const intruder = opts.intruder ?? false
    const arbiter = opts.arbiter ?? false
    // hosts of another checkout trust its CA: this checkout's site run would rightly refuse to re-key them
    const recreate = !prev
      ? null
      : prev.flavor !== flavor
        ? `the lab runs flavor ${prev.flavor}; recreating its hosts as ${flavor}`
        : prev.checkout && prev.checkout !== repoRoot
          ? `the lab's hosts were set up from the checkout ${prev.checkout}, whose CA they trust; recreating them for this one`
          : null
    if (recreate) {
      log(recreate)
      for (const h of allHosts(topo)) await teardownHost(h.name)
    } else {
      if (prev?.intruder && !intruder) {
        log('stopping the intruder (not asked for)')
        await teardownHost(topo.intruder.name)
      }
      if (prev?.arbiter && !arbiter) {
        log('removing the arbiter (not asked for; its brick, if gv0 has one, stays a missing brick)')
        await teardownHost(topo.arbiter.name)
      }
    }
    const state: LabState = {
      flavor,
      intruder,
      arbiter,
      shape: prev?.shape ?? { rateKbit: null, rttMs: topo.wan.rttMs },
      link: prev?.link ?? 'up',
      checkout: repoRoot,
    }
    writeState(state)
    const rootfs = await ensureRootfs(flavor, log)
    const intruderRootfs = intruder ? await ensureRootfs('ready', log) : rootfs
    const clientKey = await ensureClientKey()
    await ensureCore(topo)
    await ensureAptProxy(topo)
    const wanted = runningHosts(topo, state)
    const keys = await Promise.all(
      wanted.map(async (h) => ({ host: h, publicKey: await ensureHost(topo, wanted, h, h === topo.intruder ? intruderRootfs : rootfs, clientKey, log) })),
    )
    writeKnownHosts(keys)
    await applyShape(state.shape, state.link)
    await Promise.all(wanted.map((h) => waitForSsh(h.management, 90000)))
    await Promise.all(wanted.map(async (h) => logRestarted(h.name, await restartCgroupFailures(h.name), log)))
    for (const h of wanted) {
      const r = await run(['ssh', ...sshArgs(), `root@${h.management}`, 'true'], { timeoutMs: 20000 })
      if (r.exitCode !== 0) throw new LabError(`strict ssh to ${h.name} (${h.management}) failed: ${r.stderr.trim()}`)
    }
    writeInventory(wanted.filter((h) => h !== topo.intruder))
    const extras = [arbiter && 'arbiter', intruder && 'intruder'].filter(Boolean)
    log(`lab up (${flavor}${extras.length ? `, with ${extras.join(' and ')}` : ''}) in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  })
}

/** Stops everything and removes hosts, mounts, loop devices, namespaces, bridges and processes. */
export async function down(opts: { log?: Log } = {}): Promise<void> {
  const log = opts.log ?? quiet
  requireRoot()
  await withLock('down', async () => {
    const topo = loadTopology()
    const names = new Set(allHosts(topo).map((h) => h.name))
    if (existsSync(hostsDir)) for (const d of readdirSync(hostsDir)) names.add(d)
    await Promise.all([...names].map((n) => stopHost(n)))
    for (const pid of await strayNspawns()) await stopPid(pid, 5000)
    await stopDelayLine()
    await stopAptProxy()
    for (const n of names) {
      await unmountHostRoot(n)
      await releaseDataDisk(n)
    }
    for (const m of ownMounts().reverse()) await run(['umount', m])
    for (const line of await ownLoops()) await run(['losetup', '--detach', line.split(/\s+/)[0]!])
    await removeAllNetwork()
    for (const n of names) {
      removeHostFiles(n)
      rmSync(hostPaths(n).bootCount, { force: true })
    }
    clearState()
    removeInventory()
    removeKnownHosts()
    const left = await leftovers()
    if (left.length) throw new LabError(`down left these behind: ${left.join(', ')}`, 'run `npm run lab -- down` again')
    log('lab down')
  })
}

export interface HostStatus {
  name: string
  management: string
  wan: string
  running: boolean
  init?: number
  boots: number
  sshd: boolean
  dataMounted: boolean
}

export interface LabStatus {
  up: boolean
  state?: LabState
  aptProxy: boolean
  delayLine: boolean
  hosts: HostStatus[]
}

/** Reports what is running now, read from the machine (not only from the saved state). */
export async function status(): Promise<LabStatus> {
  const topo = loadTopology()
  const state = readState()
  const wanted = runningHosts(topo, state)
  const hosts = await Promise.all(
    wanted.map(async (h): Promise<HostStatus> => {
      const init = await containerInit(h.name)
      return {
        name: h.name,
        management: h.management,
        wan: h.wan,
        running: Boolean(supervisorPid(h.name) && init),
        init,
        boots: bootCount(h.name),
        sshd: init ? await sshBanner(h.management) : false,
        dataMounted: isMounted(hostPaths(h.name).diskMount),
      }
    }),
  )
  return {
    up: Boolean(state) && (await coreExists()) && hosts.every((h) => h.running && h.sshd),
    state,
    aptProxy: Boolean(aptProxyPid()),
    delayLine: Boolean(delayLinePid()),
    hosts,
  }
}

function requireUp(): LabState {
  const state = readState()
  if (!state) throw new LabError('the lab is not up', 'run `npm run lab -- up`')
  return state
}

/** Reboots a host for real (systemd goes down, nspawn exits 133, the supervisor boots it again). */
export async function reboot(name: string, opts: { log?: Log; timeoutMs?: number } = {}): Promise<void> {
  requireRoot()
  const topo = loadTopology()
  const host = hostByName(topo, name)
  requireUp()
  const timeoutMs = opts.timeoutMs ?? 180000
  await withLock(`reboot ${name}`, async () => {
    if (!supervisorPid(name)) throw new LabError(`${name} is not running`, 'run `npm run lab -- up`')
    const before = bootCount(name)
    const oldInit = await containerInit(name)
    await execIn(name, ['systemctl', 'reboot'], { timeoutMs: 30000 })
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      const init = await containerInit(name)
      if (bootCount(name) > before && init && init !== oldInit) break
      if (!supervisorPid(name)) throw new LabError(`${name} did not come back: its supervisor exited (see ${hostPaths(name).supervisorLog})`)
      await sleep(200)
    }
    if (bootCount(name) <= before) throw new LabError(`${name} did not reboot within ${timeoutMs / 1000} s`)
    await waitForSsh(host.management, Math.max(5000, deadline - Date.now()))
    logRestarted(name, await restartCgroupFailures(name), opts.log)
    opts.log?.(`${name} rebooted`)
  })
}

/** Shapes the WAN: rate in kbit/s (null: unlimited) and RTT in ms (0: no delay line). */
export async function shape(rateKbit: number | null, rttMs?: number): Promise<Shape> {
  requireRoot()
  return withLock('shape', async () => {
    const state = requireUp()
    const next: Shape = {
      rateKbit,
      rttMs: rttMs ?? (rateKbit === null ? 0 : state.shape.rttMs),
    }
    if (next.rateKbit !== null && !(next.rateKbit > 0)) throw new LabError('rate must be a positive number of kbit/s')
    if (!(next.rttMs >= 0 && next.rttMs <= 5000)) throw new LabError('rtt must be between 0 and 5000 ms')
    writeState({ ...state, shape: next })
    await applyShape(next, state.link)
    return next
  })
}

/** Cuts (down) or restores (up) the WAN between the hosts; management ssh keeps working. */
export async function link(to: 'up' | 'down'): Promise<void> {
  requireRoot()
  await withLock(`link ${to}`, async () => {
    const state = requireUp()
    writeState({ ...state, link: to })
    await applyLink(to)
  })
}

/** Runs a command on a host and returns its output: the programmatic form of `lab exec`. */
export async function exec(name: string, argv: string[], opts: { input?: string; timeoutMs?: number } = {}) {
  requireRoot()
  hostByName(loadTopology(), name)
  const r = await execIn(name, argv, opts)
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode }
}

