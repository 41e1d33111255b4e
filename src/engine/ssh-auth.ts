// The keys OpenSSH would offer, in its order: the inventory's key, IdentityFile, ssh-agent, then the default
// key files when no key was named; a named key that cannot be read or used is a bad inventory (exit 65).
import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import ssh2, { type AgentAuthMethod, type PasswordAuthMethod, type PublicKeyAuthMethod } from 'ssh2'

export type AuthMethod = PublicKeyAuthMethod | AgentAuthMethod | PasswordAuthMethod
import type { Host } from '../inventory/types.ts'

const { utils } = ssh2 // a CommonJS module: its named exports are on the default one
import { InventoryError } from './errors.ts'

// OpenSSH's default identity files, in its order.
const defaultKeyNames = ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk']

/** A private key a user named: readable and usable without a passphrase, or an InventoryError naming the file. */
export function readNamedKey(file: string, hostName: string, by: string): Buffer {
  let content: Buffer
  try {
    content = readFileSync(file)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error)
    throw new InventoryError(file, undefined, undefined, `expected a readable private key file (${code}); named by ${by} for host ${hostName}`)
  }
  const parsed = utils.parseKey(content)
  if (parsed instanceof Error) {
    const encrypted = /passphrase|encrypted/i.test(parsed.message)
    throw new InventoryError(file, undefined, undefined, encrypted
      ? `the private key is encrypted: load it into ssh-agent (ssh-add ${file}), whose keys are used (SSH_AUTH_SOCK); named by ${by} for host ${hostName}`
      : `expected a private key file, got what ssh cannot read (${parsed.message}); named by ${by} for host ${hostName}`)
  }
  return content
}

function optionalKey(file: string): Buffer | undefined {
  try {
    const content = readFileSync(file)
    return utils.parseKey(content) instanceof Error ? undefined : content
  } catch {
    return undefined
  }
}

export interface AuthOptions {
  home?: string
  agentSocket?: string
}

/** Check every key a host names before anything connects (so a typo is exit 65, not "unreachable"). */
export function checkNamedKeys(host: Host): void {
  if (host.privateKeyFile) readNamedKey(host.privateKeyFile, host.name, 'ansible_ssh_private_key_file')
}

/** ssh2's list of authentication attempts for a user, as OpenSSH would try them. */
export function authMethods(
  target: { name: string; user: string; privateKeyFile?: string; identityFiles?: string[]; password?: { value: string } },
  options: AuthOptions = {},
): AuthMethod[] {
  const username = target.user
  const methods: AuthMethod[] = []
  if (target.privateKeyFile) methods.push({ type: 'publickey' as const, username, key: readNamedKey(target.privateKeyFile, target.name, 'ansible_ssh_private_key_file') })
  for (const file of target.identityFiles ?? []) {
    const key = optionalKey(file) // OpenSSH skips an IdentityFile from its config that is not there
    if (key) methods.push({ type: 'publickey' as const, username, key })
  }
  const agent = options.agentSocket ?? process.env.SSH_AUTH_SOCK
  if (agent) methods.push({ type: 'agent' as const, username, agent })
  if (!target.privateKeyFile && !target.identityFiles?.length) {
    for (const name of defaultKeyNames) {
      const key = optionalKey(join(options.home ?? homedir(), '.ssh', name))
      if (key) methods.push({ type: 'publickey' as const, username, key })
    }
  }
  if (target.password) methods.push({ type: 'password' as const, username, password: target.password.value })
  return methods
}
