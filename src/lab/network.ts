// Lab networking: a management bridge in the root namespace, one namespace per host, and a WAN
// between the hosts that crosses a router namespace where shaping and the delay line live.
import { existsSync, readdirSync } from 'node:fs'
import { must, run, succeeds } from './proc.ts'
import type { LabHost, Topology } from './topology.ts'
import { namePrefix } from './instance.ts'

// Names in the root namespace (and namespace names) carry the instance's prefix; names inside the
// router and host namespaces are private to the instance and stay the same for all of them.
const prefix = namePrefix()
export const mgmtBridge = `${prefix}mgmt`
export const routerNs = `${prefix}router`
/** Router-side names: bridges for the two sides of the WAN, their bypass veth pair and the delay line's TAPs. */
export const router = { bridgeA: 'wan-a', bridgeB: 'wan-b', bypassA: 'by-a', bypassB: 'by-b', tapA: 'tap-a', tapB: 'tap-b' }

/** The network namespace a host lives in. */
export const hostNs = (name: string) => `${prefix}${name}`
/** A host's management veth on the bridge; links are limited to 15 characters ("gwl5-m-intruder" fits). */
export const mgmtVeth = (name: string) => `${prefix}m-${name}`.slice(0, 15)
const wanVeth = (name: string) => `w-${name}`.slice(0, 15)

const ip = (...args: string[]) => must(['ip', ...args])
const ipNs = (ns: string, ...args: string[]) => must(['ip', '-n', ns, ...args])
const linkExists = (name: string, ns?: string) => succeeds(ns ? ['ip', '-n', ns, 'link', 'show', 'dev', name] : ['ip', 'link', 'show', 'dev', name])

/** Namespaces that exist now (ip netns list prints "name (id: n)"). */
export async function namespaces(): Promise<string[]> {
  if (!existsSync('/run/netns')) return []
  return readdirSync('/run/netns')
}

async function ensureNs(ns: string): Promise<void> {
  if (!(await namespaces()).includes(ns)) await ip('netns', 'add', ns)
  await ipNs(ns, 'link', 'set', 'lo', 'up')
}

async function ensureAddress(ns: string | undefined, dev: string, cidr: string): Promise<void> {
  const show = ns ? ['ip', '-n', ns, '-o', 'addr', 'show', 'dev', dev] : ['ip', '-o', 'addr', 'show', 'dev', dev]
  const out = (await run(show)).stdout
  if (!out.includes(` ${cidr} `)) await must(['ip', ...(ns ? ['-n', ns] : []), 'addr', 'add', cidr, 'dev', dev])
}

/** Creates the management bridge and the router namespace with both WAN sides; idempotent. */
export async function ensureCore(topo: Topology): Promise<void> {
  if (!(await linkExists(mgmtBridge))) await ip('link', 'add', mgmtBridge, 'type', 'bridge')
  await ensureAddress(undefined, mgmtBridge, `${topo.management.gateway}/${topo.management.prefix}`)
  await ip('link', 'set', mgmtBridge, 'up')
  await ensureNs(routerNs)
  for (const br of [router.bridgeA, router.bridgeB]) {
    if (!(await linkExists(br, routerNs))) await ipNs(routerNs, 'link', 'add', br, 'type', 'bridge')
    await ipNs(routerNs, 'link', 'set', br, 'up')
  }
  if (!(await linkExists(router.bypassA, routerNs))) {
    await ipNs(routerNs, 'link', 'add', router.bypassA, 'type', 'veth', 'peer', 'name', router.bypassB)
  }
  await ipNs(routerNs, 'link', 'set', router.bypassA, 'master', router.bridgeA)
  await ipNs(routerNs, 'link', 'set', router.bypassB, 'master', router.bridgeB)
  for (const [tap, br] of [[router.tapA, router.bridgeA], [router.tapB, router.bridgeB]] as const) {
    if (!(await linkExists(tap, routerNs))) await ipNs(routerNs, 'tuntap', 'add', 'dev', tap, 'mode', 'tap')
    await ipNs(routerNs, 'link', 'set', tap, 'master', br, 'txqueuelen', '10000')
  }
}

/** Which WAN side a host sits on: the first host alone on side A, everyone else on side B. */
export function wanSide(topo: Topology, name: string): string {
  return topo.hosts[0]!.name === name ? router.bridgeA : router.bridgeB
}

/** Gives a host its namespace, management veth on the bridge and WAN veth into the router; idempotent. */
export async function ensureHostNetwork(topo: Topology, host: LabHost): Promise<void> {
  const ns = hostNs(host.name)
  await ensureNs(ns)
  if (!(await linkExists('mgmt0', ns))) {
    if (await linkExists(mgmtVeth(host.name))) await ip('link', 'del', mgmtVeth(host.name))
    await ip('link', 'add', mgmtVeth(host.name), 'type', 'veth', 'peer', 'name', 'mgmt0', 'netns', ns)
  }
  await ip('link', 'set', mgmtVeth(host.name), 'master', mgmtBridge, 'up')
  // Isolated ports reach the lab machine but not each other: host-to-host traffic must take the WAN.
  await must(['bridge', 'link', 'set', 'dev', mgmtVeth(host.name), 'isolated', 'on'])
  await ensureAddress(ns, 'mgmt0', `${host.management}/${topo.management.prefix}`)
  await ipNs(ns, 'link', 'set', 'mgmt0', 'up')
  if (!(await linkExists('wan0', ns))) {
    if (await linkExists(wanVeth(host.name), routerNs)) await ipNs(routerNs, 'link', 'del', wanVeth(host.name))
    await ipNs(routerNs, 'link', 'add', wanVeth(host.name), 'type', 'veth', 'peer', 'name', 'wan0', 'netns', ns)
  }
  await ipNs(routerNs, 'link', 'set', wanVeth(host.name), 'master', wanSide(topo, host.name), 'up')
  await ensureAddress(ns, 'wan0', `${host.wan}/${topo.wan.prefix}`)
  await ipNs(ns, 'link', 'set', 'wan0', 'up')
}

/** Removes a host's namespace and its veths (deleting the namespace deletes the peers too). */
export async function removeHostNetwork(name: string): Promise<void> {
  if ((await namespaces()).includes(hostNs(name))) await run(['ip', 'netns', 'del', hostNs(name)])
  if (await linkExists(mgmtVeth(name))) await run(['ip', 'link', 'del', mgmtVeth(name)])
}

/** Removes everything network-related the lab created in the root namespace and its own namespaces. */
export async function removeAllNetwork(): Promise<void> {
  for (const ns of await ownNamespaces()) await run(['ip', 'netns', 'del', ns])
  for (const link of await ownLinks()) await run(['ip', 'link', 'del', link])
}

/** This instance's namespaces (never another instance's: no prefix is a prefix of another). */
export async function ownNamespaces(): Promise<string[]> {
  return (await namespaces()).filter((ns) => ns.startsWith(prefix))
}

/** This instance's links in the root namespace. */
export async function ownLinks(): Promise<string[]> {
  const links = (await run(['ip', '-o', 'link', 'show'])).stdout
  return [...links.matchAll(/^\d+:\s+([^:@\s]+)/gm)].map((m) => m[1]!).filter((l) => l.startsWith(prefix))
}

/** Processes living in a namespace (the container's, the delay line's). */
export async function namespacePids(ns: string): Promise<number[]> {
  const r = await run(['ip', 'netns', 'pids', ns])
  return r.exitCode === 0 ? r.stdout.split('\n').filter(Boolean).map(Number) : []
}

/** Whether the lab's network core exists. */
export async function coreExists(): Promise<boolean> {
  return (await linkExists(mgmtBridge)) && (await namespaces()).includes(routerNs)
}
