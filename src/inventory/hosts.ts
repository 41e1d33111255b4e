// Ansible's connection variables (ansible_host, ansible_user, ...): the ones we honour, and typo checks on the rest.
import { isIP } from 'node:net'
import { isScalar } from 'yaml'
import { Secret } from './types.ts'
import { describe, type MapEntry, type YamlSource } from './yaml-source.ts'
import { readString } from './schema.ts'
import { nearest } from './suggest.ts'
import { resolveLocalPath } from './paths.ts'

/** Each honoured Ansible variable (with its older aliases) and the Host field it fills. */
export const connectionKeys = {
  ansible_host: 'address',
  ansible_ssh_host: 'address',
  ansible_port: 'port',
  ansible_ssh_port: 'port',
  ansible_user: 'user',
  ansible_ssh_user: 'user',
  ansible_ssh_private_key_file: 'privateKeyFile',
  ansible_private_key_file: 'privateKeyFile',
  ansible_password: 'password',
  ansible_ssh_pass: 'password',
  ansible_become: 'become',
  ansible_become_password: 'becomePassword',
  ansible_become_pass: 'becomePassword',
} as const

export type ConnectionField = (typeof connectionKeys)[keyof typeof connectionKeys]

// Ansible variables that are real but mean nothing to us; listed so they are never taken for typos.
const otherAnsibleKeys = new Set([
  'ansible_connection', 'ansible_python_interpreter', 'ansible_become_user', 'ansible_become_method',
  'ansible_become_exe', 'ansible_become_flags', 'ansible_ssh_common_args', 'ansible_ssh_extra_args',
  'ansible_sftp_extra_args', 'ansible_scp_extra_args', 'ansible_ssh_pipelining', 'ansible_ssh_executable',
  'ansible_shell_type', 'ansible_shell_executable', 'ansible_group_priority', 'ansible_timeout',
  'ansible_ssh_timeout', 'ansible_network_os', 'ansible_pipelining', 'ansible_host_key_checking',
  'ansible_ssh_host_key_checking', 'ansible_sudo_pass', 'ansible_remote_tmp', 'ansible_ssh_retries',
])

// Ansible's own reading of truthy strings (module_utils boolean()).
const ansibleTrue = new Set(['yes', 'on', '1', 'true', 't', 'y'])
const ansibleFalse = new Set(['no', 'off', '0', 'false', 'f', 'n'])

/** A hostname as RFC 1123 allows it: dot-separated labels of letters, digits and inner hyphens. */
export function isHostname(name: string): boolean {
  if (name.length > 253) return false
  return name
    .replace(/\.$/, '')
    .split('.')
    .every((label) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label))
}

/** The first name of an honoured variable's field (ansible_ssh_host -> ansible_host), so aliases override each other. */
export function canonicalConnectionKey(key: string): string {
  const field = connectionKeys[key as keyof typeof connectionKeys]
  return Object.keys(connectionKeys).find((name) => connectionKeys[name as keyof typeof connectionKeys] === field) ?? key
}

/** Is this ansible_* key a misspelling of one we honour (so its value would silently be lost)? */
export function misspeltConnectionKey(key: string): string | undefined {
  if (key in connectionKeys || otherAnsibleKeys.has(key)) return undefined
  return nearest(key, Object.keys(connectionKeys))
}

/** Check an honoured connection variable as written; returns the value the Host field takes. */
export function readConnection(src: YamlSource, entry: MapEntry, inventoryDir: string, home?: string): unknown {
  const field = connectionKeys[entry.key as keyof typeof connectionKeys]
  const fail = (expected: string): never => {
    throw src.error(entry.value, entry.path, `expected ${expected}, got ${describe(entry.value)}`, entry.keyNode)
  }
  const value = isScalar(entry.value) ? entry.value.value : undefined
  switch (field) {
    case 'address': {
      const address = readString(src, entry, 'a hostname or IP address')
      if (!isHostname(address) && !isIP(address)) fail('a hostname or IP address')
      return address
    }
    case 'port': {
      const port = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value
      if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) fail('a port number from 1 to 65535')
      return port
    }
    case 'user': {
      const user = readString(src, entry, 'a user name', true)
      if (/[\s\0@:]/.test(user)) fail('a user name without spaces, @ or :')
      return user
    }
    case 'privateKeyFile':
      return resolveLocalPath(readString(src, entry, 'a path to a private key file'), inventoryDir, home)
    case 'password':
    case 'becomePassword':
      return new Secret(readString(src, entry, 'a password', true))
    case 'become': {
      if (typeof value === 'boolean') return value
      const word = typeof value === 'string' || typeof value === 'number' ? String(value).toLowerCase() : undefined
      if (word !== undefined && ansibleTrue.has(word)) return true
      if (word !== undefined && ansibleFalse.has(word)) return false
      return fail('true or false')
    }
  }
}
