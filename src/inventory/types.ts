// The shape every playbook sees once an inventory file has been read, merged and validated.
import type { FlushSettings, HealthThresholds } from '../agent/service/defaults.ts'

export type { FlushSettings, HealthThresholds }

/** A value that must never be printed: the reporter shows it as ***. */
export class Secret {
  constructor(readonly value: string) {}
  toString(): string {
    return '***'
  }
  toJSON(): string {
    return '***'
  }
}

/** Our own variables (snake_case in YAML, camelCase here), after defaults are applied. */
export interface Settings {
  volume: string
  brick: string
  brickForce: boolean
  dataDisk: string
  gv0Mount: string
  unionMount: string
  cacheUpper: string
  cacheWork: string
  glusterOptions: Record<string, string>
  splitBrainPolicy: 'none' | 'latest-mtime' | 'bigger-file'
  tls: boolean
  flush: FlushSettings
  /** the agent's Prometheus textfile (node_exporter's textfile collector reads it) */
  metricsFile: string
  /** thresholds of `gfs-writecache status` */
  health: HealthThresholds
  /** the union's lower layer: the gv0 FUSE mount, or this host's brick while it is current */
  unionLower: 'gv0' | 'brick'
}

export type HostRole = 'storage' | 'arbiter'

/** A host to jump through on the way (ProxyJump), as ~/.ssh/config resolves it. */
export interface JumpHost {
  address: string
  port: number
  user: string
  identityFiles: string[]
}

export interface Host {
  name: string
  /** ansible_host, or the name itself */
  address: string
  /** ansible_port, default 22 */
  port: number
  /** ansible_user, default root */
  user: string
  /** ansible_ssh_private_key_file, resolved to an absolute path */
  privateKeyFile?: string
  /** IdentityFile from ansible_ssh_*_args and ~/.ssh/config, tried after privateKeyFile (absolute paths) */
  identityFiles?: string[]
  /** ProxyJump hosts, the first one reached directly */
  jumps?: JumpHost[]
  /** connection attempts before the host counts as unreachable (ConnectionAttempts; default 3) */
  connectAttempts?: number
  /** ConnectTimeout */
  connectTimeoutMs?: number
  /** ansible_password / ansible_ssh_pass */
  password?: Secret
  /** ansible_become (default: true when user is not root) */
  become: boolean
  /** ansible_become_password */
  becomePassword?: Secret
  role: HostRole
  groups: string[]
  settings: Settings
}

export interface Inventory {
  /** absolute path of the inventory file */
  file: string
  hosts: Host[]
  /** known_hosts file used for strict host-key checking (absolute path) */
  knownHostsFile: string
  /** pin unknown host keys into knownHostsFile instead of refusing them */
  trustNewHostKeys: boolean
  /** hosts of the inventory that are not part of the appliance (not in gfs_storage or gfs_arbiter) */
  ignoredHosts?: string[]
  /** variables of the user's own on the appliance's hosts, first place each is written (shown with --verbose) */
  userVariables?: { name: string; origin: { file: string; line: number | undefined; path: string } }[]
}
