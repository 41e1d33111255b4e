// The shape every playbook sees once an inventory file has been read, merged and validated.
import type { FlushSettings } from '../agent/service/defaults.ts'

export type { FlushSettings }

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
  /** the union's lower layer: the gv0 FUSE mount, or this host's brick while it is current */
  unionLower: 'gv0' | 'brick'
}

export type HostRole = 'storage' | 'arbiter'

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
}
