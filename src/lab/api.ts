// The lab's programmatic interface, for tests that drive the lab without spawning npm.
import { inventoryPath as inventoryFile, knownHostsPath, privateKeyPath } from './paths.ts'
import { instance as labInstance, inventoryNameOf } from './instance.ts'
import { loadTopology, type Topology } from './topology.ts'
import * as lab from './lab.ts'
import type { Flavor } from './rootfs.ts'
import type { Shape } from './state.ts'

export type { Flavor } from './rootfs.ts'
export type { Shape } from './state.ts'
export type { LabStatus, HostStatus } from './lab.ts'
export type { Topology, LabHost } from './topology.ts'
export { LabError } from './errors.ts'

export interface ExecResult {
  stdout: string
  stderr: string
  exitCode: number
}

/** This process's lab instance (GFS_LAB_INSTANCE, 0..9; 0 when unset). */
export const instance = labInstance
/** Absolute path of this instance's inventory (inventory/lab.yaml, inventory/lab-N.yaml), written by up(). */
export const inventoryPath = inventoryFile

/** The inventory's name for the provisioner's --inventory: 'lab' for instance 0, 'lab-N' otherwise. */
export function inventoryName(): string {
  return inventoryNameOf(labInstance)
}

/** Names and addresses of this instance's lab (addresses differ between instances, host names never). */
export function topology(): Topology {
  return loadTopology()
}
/** The lab's ssh client key and known_hosts file (also named in the inventory). */
export const sshKeyPath = privateKeyPath
export const sshKnownHostsPath = knownHostsPath

/** Brings the lab up, or repairs it; idempotent. Resolves once sshd answers on every host. */
export function up(opts: { flavor?: Flavor; intruder?: boolean; arbiter?: boolean; log?: (line: string) => void } = {}): Promise<void> {
  return lab.up(opts)
}

/** Tears everything down; rejects if anything (mount, loop, namespace, link, process) is left. */
export function down(opts: { log?: (line: string) => void } = {}): Promise<void> {
  return lab.down(opts)
}

/** What is running now. */
export function status(): Promise<lab.LabStatus> {
  return lab.status()
}

/** Destroys a host for good (container root, host keys, data disk): a reinstalled server after the next up(). */
export function destroyHost(name: string): Promise<void> {
  return lab.destroyHost(name)
}

/** Runs argv as root on a lab host; never throws on a non-zero exit code. */
export function exec(host: string, argv: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
  return lab.exec(host, argv, opts)
}

/** Reboots a host for real and resolves once its sshd answers again. */
export function reboot(host: string, opts: { timeoutMs?: number } = {}): Promise<void> {
  return lab.reboot(host, opts)
}

/** Shapes the WAN between the hosts: rate in kbit/s or null for unlimited; rttMs defaults as in the CLI. */
export function shape(rateKbit: number | null, opts: { rttMs?: number } = {}): Promise<Shape> {
  return lab.shape(rateKbit, opts.rttMs)
}

/** Cuts ('down') or restores ('up') hydra's WAN link; plexus and the arbiter stay connected to each other. */
export function link(state: 'up' | 'down'): Promise<void> {
  return lab.link(state)
}
