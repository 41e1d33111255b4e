// How OpenSSH would reach a host: ~/.ssh/config (HostName, User, Port, IdentityFile, ProxyJump) under the
// inventory's own variables, and ansible_ssh_common_args / ansible_ssh_extra_args, each option honoured or refused
// by name (never ignored). Resolved when the inventory is read, so every later step sees the real target.
import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import SSHConfig from 'ssh-config'
import { shellWords } from './ini-source.ts'
import { expandHome } from './paths.ts'
import type { JumpHost } from './types.ts'
import { errorAt, type VarSet } from './vars.ts'
import type { Origin } from './yaml-source.ts'

/** OpenSSH options from one source, by lower-case name, first value winning as in OpenSSH. */
export type SshOptions = Map<string, string[]>

// Options we take from ansible_ssh_*_args: what our client does with each.
const honoured = new Set(['proxyjump', 'proxycommand', 'port', 'user', 'identityfile', 'connecttimeout', 'connectionattempts', 'serveraliveinterval', 'serveralivecountmax', 'identitiesonly', 'controlmaster', 'controlpersist', 'controlpath', 'loglevel', 'batchmode', 'preferredauthentications', 'pubkeyauthentication', 'passwordauthentication', 'forwardagent'])
const refusedWhy: Record<string, string> = {
  stricthostkeychecking: 'host keys are always checked here; pin new ones with --trust-new-host-keys',
  userknownhostsfile: 'set known_hosts_file in the inventory instead',
  globalknownhostsfile: 'set known_hosts_file in the inventory instead',
}

function addOption(options: SshOptions, key: string, value: string): void {
  const name = key.toLowerCase()
  if (name === 'identityfile') options.set(name, [...(options.get(name) ?? []), value])
  else if (!options.has(name)) options.set(name, [value])
}

/** Read `-o Key=Value`, `-J`, `-p`, `-l`, `-i` out of an ansible_ssh_*_args string; anything else is refused by name. */
export function parseSshArgs(text: string, origin: Origin, options: SshOptions = new Map()): SshOptions {
  let words: string[]
  try {
    words = shellWords(text)
  } catch (error) {
    throw errorAt(origin, `expected ssh arguments a shell can split: ${(error as Error).message}`)
  }
  const flags: Record<string, string> = { '-J': 'ProxyJump', '-p': 'Port', '-l': 'User', '-i': 'IdentityFile' }
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!
    const flag = Object.keys(flags).find((f) => word === f || (word.startsWith(f) && f !== '-o'))
    if (word === '-o' || word.startsWith('-o')) {
      const option = word === '-o' ? words[++i] : word.slice(2)
      const match = option === undefined ? null : /^([A-Za-z]+)\s*[= ]\s*(.*)$/.exec(option)
      if (!match) throw errorAt(origin, `expected -o Option=value, got ${JSON.stringify(option ?? '-o')}`)
      const [, key = '', value = ''] = match
      const name = key.toLowerCase()
      if (refusedWhy[name]) throw errorAt(origin, `ssh option ${key} is not supported: ${refusedWhy[name]}`)
      if (!honoured.has(name)) throw errorAt(origin, `ssh option ${key} is not supported by gfs-writecache's SSH client (supported: ProxyJump, ProxyCommand "ssh -W %h:%p host", Port, User, IdentityFile, ConnectTimeout, ConnectionAttempts, ServerAlive*); remove it from this variable`)
      addOption(options, key, value)
    } else if (flag) {
      const value = word === flag ? words[++i] : word.slice(flag.length)
      if (value === undefined) throw errorAt(origin, `expected a value after ${flag}`)
      addOption(options, flags[flag]!, value)
    } else if (word === '-q' || word === '-4') {
      continue
    } else {
      throw errorAt(origin, `ssh argument ${word} is not supported by gfs-writecache's SSH client (supported: -o Option=value, -J, -p, -l, -i, -q); remove it from this variable`)
    }
  }
  return options
}

/** ~/.ssh/config's options for a destination (first value wins; IdentityFile collects), or none without a config. */
export function sshConfigFor(destination: string, home = homedir()): SshOptions {
  const options: SshOptions = new Map()
  let text: string
  try {
    text = readFileSync(join(home, '.ssh', 'config'), 'utf8')
  } catch {
    return options
  }
  const computed = SSHConfig.parse(text).compute(destination)
  for (const [key, value] of Object.entries(computed)) {
    if (key.toLowerCase() === 'host') continue
    for (const item of Array.isArray(value) ? value : [value]) addOption(options, key, item)
  }
  return options
}

const first = (options: SshOptions, name: string): string | undefined => options.get(name)?.[0]

function expand(value: string, destination: string): string {
  return value.replace(/%(.)/g, (all, c: string) => (c === 'h' ? destination : c === '%' ? '%' : all))
}

// `ssh -W %h:%p [-q] [-p N] [-l user] [user@]bastion`, the usual ProxyCommand of Ansible inventories.
function proxyCommandJump(command: string, origin: Origin): string {
  const words = shellWords(command)
  if (words[0] !== 'ssh' || !words.includes('-W')) {
    throw errorAt(origin, `ProxyCommand ${JSON.stringify(command)} is not supported: only "ssh -W %h:%p [user@]jumphost" (or ProxyJump) is`)
  }
  let port = ''
  let user = ''
  let target = ''
  for (let i = 1; i < words.length; i++) {
    const word = words[i]!
    if (word === '-W') i++
    else if (word === '-q') continue
    else if (word === '-p') port = words[++i] ?? ''
    else if (word === '-l') user = words[++i] ?? ''
    else if (!word.startsWith('-') && !target) target = word
    else throw errorAt(origin, `ProxyCommand option ${word} is not supported: only "ssh -W %h:%p [-p port] [user@]jumphost" is`)
  }
  if (!target) throw errorAt(origin, `ProxyCommand ${JSON.stringify(command)} names no jump host`)
  return `${user && !target.includes('@') ? `${user}@` : ''}${target}${port ? `:${port}` : ''}`
}

function parsePort(value: string, origin: Origin): number {
  const port = Number(value)
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) throw errorAt(origin, `expected a port number from 1 to 65535, got ${JSON.stringify(value)}`)
  return port
}

/** The jump hosts of a ProxyJump value (`[user@]host[:port]`, comma-separated), each resolved through ~/.ssh/config. */
export function jumpHosts(spec: string, origin: Origin, home?: string, depth = 0): JumpHost[] {
  if (spec.toLowerCase() === 'none') return []
  if (depth > 5) throw errorAt(origin, `ProxyJump ${spec}: jump hosts nest deeper than 5 (a loop in ~/.ssh/config?)`)
  return spec.split(',').flatMap((part) => {
    const match = /^(?:ssh:\/\/)?(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(part.trim())
    if (!match) throw errorAt(origin, `expected ProxyJump [user@]host[:port], got ${JSON.stringify(part)}`)
    const [, user, rawHost = '', port] = match
    const name = rawHost.replace(/^\[|\]$/g, '')
    const config = sshConfigFor(name, home)
    const before = first(config, 'proxyjump')
    const own: JumpHost = {
      address: expand(first(config, 'hostname') ?? name, name),
      port: port ? parsePort(port, origin) : first(config, 'port') ? parsePort(first(config, 'port')!, origin) : 22,
      user: user ?? first(config, 'user') ?? 'root',
      identityFiles: (config.get('identityfile') ?? []).map((file) => expandHome(expand(file, name), home)),
    }
    return [...(before ? jumpHosts(before, origin, home, depth + 1) : []), own]
  })
}

export interface SshTarget {
  address: string
  port: number
  user: string
  identityFiles: string[]
  jumps: JumpHost[]
  connectAttempts?: number
  connectTimeoutMs?: number
}

/**
 * The host as OpenSSH would reach it: the inventory's variables win, then ansible_ssh_common_args /
 * ansible_ssh_extra_args, then ~/.ssh/config for the destination (ansible_host or the inventory name).
 */
export function resolveSshTarget(name: string, vars: VarSet, home?: string): SshTarget {
  const given = (key: string) => vars.get(key)
  const destination = (given('ansible_host')?.value as string | undefined) ?? name
  const args: SshOptions = new Map()
  let argsOrigin: Origin | undefined
  for (const key of ['ansible_ssh_common_args', 'ansible_ssh_extra_args']) {
    const found = given(key)
    if (found === undefined || found.value === null || found.value === '') continue
    if (typeof found.value !== 'string') throw errorAt(found.origin, `expected ssh arguments as one string, got ${JSON.stringify(found.value)}`)
    parseSshArgs(found.value, found.origin, args)
    argsOrigin ??= found.origin
  }
  const config = sshConfigFor(destination, home)
  const pick = (option: string) => first(args, option) ?? first(config, option)
  const origin = argsOrigin ?? { file: join(home ?? homedir(), '.ssh', 'config'), line: undefined, path: `Host ${destination}` }
  let jumpSpec = first(args, 'proxyjump')
  const proxyCommand = first(args, 'proxycommand')
  if (!jumpSpec && proxyCommand) jumpSpec = proxyCommandJump(proxyCommand, origin)
  if (!jumpSpec) {
    jumpSpec = first(config, 'proxyjump')
    const configCommand = first(config, 'proxycommand')
    if (!jumpSpec && configCommand) jumpSpec = proxyCommandJump(configCommand, origin)
  }
  const port = pick('port')
  const attempts = pick('connectionattempts')
  const timeout = pick('connecttimeout')
  const identityFiles = [...(args.get('identityfile') ?? []), ...(config.get('identityfile') ?? [])].map((file) => expandHome(expand(file, destination), home))
  return {
    address: expand(first(config, 'hostname') ?? destination, destination),
    port: (given('ansible_port')?.value as number | undefined) ?? (port ? parsePort(port, origin) : 22),
    user: (given('ansible_user')?.value as string | undefined) ?? pick('user') ?? 'root',
    identityFiles,
    jumps: jumpSpec ? jumpHosts(jumpSpec, origin, home) : [],
    ...(attempts ? { connectAttempts: Math.max(1, Number(attempts) || 1) } : {}),
    ...(timeout ? { connectTimeoutMs: Math.max(1, Number(timeout) || 10) * 1000 } : {}),
  }
}
