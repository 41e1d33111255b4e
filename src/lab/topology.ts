// The lab's topology, read from lab/topology.yaml (shared with the Vagrantfile).
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { topologyPath } from './paths.ts'
import { LabError } from './errors.ts'
import { instance, instanceAddress, instancePort } from './instance.ts'
import type { LabState } from './state.ts'

export interface LabHost {
  name: string
  management: string
  wan: string
  memoryMb: number
  dataDiskMb: number
  /** the arbiter's inventory role; storage hosts have none */
  role?: 'arbiter'
}

export interface Topology {
  management: { network: string; gateway: string; prefix: number }
  wan: { network: string; rttMs: number; prefix: number }
  aptProxy: { port: number }
  hosts: LabHost[]
  /** started only with `up --with arbiter` */
  arbiter: LabHost
  intruder: LabHost
}

const ipv4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/

function host(raw: any, where: string): LabHost {
  for (const key of ['name', 'management', 'wan'] as const) {
    if (typeof raw?.[key] !== 'string') throw new LabError(`${topologyPath}: ${where}.${key}: expected a string`)
  }
  if (!/^[a-z][a-z0-9-]{0,14}$/.test(raw.name)) throw new LabError(`${topologyPath}: ${where}.name: expected a short host name`)
  for (const key of ['management', 'wan'] as const) {
    if (!ipv4.test(raw[key])) throw new LabError(`${topologyPath}: ${where}.${key}: expected an IPv4 address`)
  }
  return {
    name: raw.name,
    management: raw.management,
    wan: raw.wan,
    memoryMb: Number(raw.memoryMb ?? 1024),
    dataDiskMb: Number(raw.dataDiskMb ?? 1024),
  }
}

/** The topology as instance n sees it: same host names, its own /24s (third octet n) and apt proxy port. */
export function forInstance(topo: Topology, n = instance): Topology {
  if (n === 0) return topo
  for (const [what, prefix] of [['management', topo.management.prefix], ['wan', topo.wan.prefix]] as const) {
    if (prefix < 24) throw new LabError(`${topologyPath}: ${what}.network: lab instances need a /24 or smaller network, not /${prefix}`)
  }
  const move = (h: LabHost): LabHost => ({ ...h, management: instanceAddress(h.management, n), wan: instanceAddress(h.wan, n) })
  return {
    management: { ...topo.management, network: instanceAddress(topo.management.network, n), gateway: instanceAddress(topo.management.gateway, n) },
    wan: { ...topo.wan, network: instanceAddress(topo.wan.network, n) },
    aptProxy: { port: instancePort(topo.aptProxy.port, n) },
    hosts: topo.hosts.map(move),
    arbiter: move(topo.arbiter),
    intruder: move(topo.intruder),
  }
}

/** Loads and checks the topology so every part of the lab uses the same names and addresses (this instance's). */
export function loadTopology(path = topologyPath, n = instance): Topology {
  return forInstance(readTopology(path), n)
}

/** The topology exactly as lab/topology.yaml states it (instance 0's). */
export function readTopology(path = topologyPath): Topology {
  const raw = parse(readFileSync(path, 'utf8'))
  const prefixOf = (net: string) => Number(String(net).split('/')[1] ?? 24)
  if (!Array.isArray(raw?.hosts) || raw.hosts.length < 2) throw new LabError(`${path}: hosts: expected at least two hosts`)
  return {
    management: { network: raw.management.network, gateway: raw.management.gateway, prefix: prefixOf(raw.management.network) },
    wan: { network: raw.wan.network, rttMs: Number(raw.wan.rttMs ?? 0), prefix: prefixOf(raw.wan.network) },
    aptProxy: { port: Number(raw.aptProxy?.port ?? 3149) },
    hosts: raw.hosts.map((h: unknown, i: number) => host(h, `hosts[${i}]`)),
    arbiter: { ...host(raw.arbiter, 'arbiter'), role: 'arbiter' },
    intruder: host(raw.intruder, 'intruder'),
  }
}

/** Every host the lab may run, arbiter and intruder included, to look names up. */
export function allHosts(topo: Topology): LabHost[] {
  return [...topo.hosts, topo.arbiter, topo.intruder]
}

/** The hosts a lab state runs: the two storage hosts, then the optional ones it was asked for. */
export function runningHosts(topo: Topology, state: Pick<LabState, 'arbiter' | 'intruder'> | undefined): LabHost[] {
  return [...topo.hosts, ...(state?.arbiter ? [topo.arbiter] : []), ...(state?.intruder ? [topo.intruder] : [])]
}

/** Finds a lab host by name or fails with the names that exist. */
export function hostByName(topo: Topology, name: string): LabHost {
  const h = allHosts(topo).find((x) => x.name === name)
  if (!h) throw new LabError(`unknown lab host "${name}"`, `expected one of: ${allHosts(topo).map((x) => x.name).join(', ')}`)
  return h
}
