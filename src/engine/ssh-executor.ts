// The executor for real hosts: one SSH connection per host, reused for the whole run.
import { Readable, type Duplex } from 'node:stream'
import { NodeSSH } from 'node-ssh'
import type { ClientChannel } from 'ssh2'
import type { Host } from '../inventory/types.ts'
import type { Command } from './command.ts'
import { putScript } from './command.ts'
import { becomeScript, checkBecome } from './become.ts'
import { ConnectError, InventoryError } from './errors.ts'
import { lineSplitter, type Executor, type RunOptions } from './executor.ts'
import { Slots } from './slots.ts'
import {
  hostPattern,
  keyTypeOf,
  knownKeyTypes,
  parseKnownHosts,
  pinHostKey,
  readKnownHosts,
  verifyHostKey,
  type HostKeyVerdict,
  type KnownHostEntry,
} from './known-hosts.ts'
import { authMethods, type AuthMethod } from './ssh-auth.ts'
import type { Result } from './result.ts'
import { describeConnectFailure, hostKeyMessage, type Hop } from './ssh-messages.ts'

export interface SshOptions {
  knownHostsFile: string
  trustNewHostKeys: boolean
  connectTimeoutMs?: number
  keepaliveIntervalMs?: number
  /** attempts when the host does not answer (default 3; ansible_ssh_retries or ConnectionAttempts per host) */
  connectAttempts?: number
  /** first wait between attempts, doubled each time (default 1 s) */
  retryDelayMs?: number
  /** ssh-agent socket (default SSH_AUTH_SOCK) and home for the default keys; tests set these */
  agentSocket?: string
  home?: string
}

const defaultHostKeyOrder = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
]

function hostKeyOrder(knownTypes: string[]): string[] {
  const preferred = knownTypes.flatMap((t) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t]))
  return [...new Set([...preferred, ...defaultHostKeyOrder])]
}

// Failures worth another attempt: the host or the network may come back (sshd restarting, a link flapping).
function isTransient(error: Error & { code?: string; level?: string }): boolean {
  if (error.level === 'client-authentication') return false
  return ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'EPIPE'].includes(error.code ?? '') ||
    /Timed out|Connection lost before handshake|ECONNRESET/i.test(error.message)
}

class HostKeyRefused extends Error {}

/** One SSH hop: connected through `sock` (a jump's forwarded channel) or directly, its host key verified. */
async function openHop(hop: Hop, auth: AuthMethod[], options: SshOptions, entries: KnownHostEntry[], sock: Duplex | undefined, timeoutMs: number): Promise<NodeSSH> {
  const name = hostPattern(hop.address, hop.port)
  const seen: { verdict: HostKeyVerdict; key?: Buffer } = { verdict: { status: 'unknown' } }
  const accepted = () => seen.verdict.status === 'known' || (seen.verdict.status === 'unknown' && options.trustNewHostKeys)
  const ssh = new NodeSSH()
  try {
    await ssh.connect({
      host: hop.address,
      port: hop.port,
      username: hop.user,
      authHandler: auth as never,
      ...(sock ? { sock: sock as never } : {}),
      readyTimeout: timeoutMs,
      keepaliveInterval: options.keepaliveIntervalMs ?? 5_000,
      keepaliveCountMax: 3,
      algorithms: { serverHostKey: hostKeyOrder(knownKeyTypes(entries, name)) as never },
      hostVerifier: (key: Buffer) => {
        seen.key = key
        seen.verdict = verifyHostKey(entries, name, key)
        return accepted()
      },
    })
  } catch (error) {
    ssh.dispose()
    if (seen.key && !accepted()) throw new HostKeyRefused(hostKeyMessage(hop, name, seen.verdict, seen.key, options.knownHostsFile))
    throw error
  }
  if (seen.verdict.status === 'unknown' && seen.key) {
    await pinHostKey(options.knownHostsFile, name, seen.key)
    entries.push(...parseKnownHosts(`${name} ${keyTypeOf(seen.key)} ${seen.key.toString('base64')}`))
  }
  return ssh
}

/** A channel from the jump host to the next hop (what `ssh -J` does). */
function forwardThrough(jump: NodeSSH, address: string, port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    jump.connection!.forwardOut('127.0.0.1', 0, address, port, (error, channel) => (error ? reject(error) : resolve(channel)))
  })
}

/** The hops of a connection: each ProxyJump host, then the host itself. */
async function connectOnce(host: Host, options: SshOptions, entries: KnownHostEntry[]): Promise<{ ssh: NodeSSH; jumps: NodeSSH[] }> {
  const timeoutMs = host.connectTimeoutMs ?? options.connectTimeoutMs ?? 10_000
  const jumps: NodeSSH[] = []
  let sock: Duplex | undefined
  try {
    for (const [index, jump] of (host.jumps ?? []).entries()) {
      const hop = { name: `${host.name} (jump host ${jump.user}@${jump.address}:${jump.port})`, ...jump }
      try {
        jumps.push(await openHop(hop, authMethods({ name: hop.name, user: jump.user, identityFiles: jump.identityFiles }, options), options, entries, sock, timeoutMs))
      } catch (error) {
        if (error instanceof HostKeyRefused) throw error
        throw Object.assign(new Error(`jump host ${jump.user}@${jump.address}:${jump.port}: ${describeConnectFailure(hop, error as Error)}`), { code: (error as { code?: string }).code })
      }
      const next = host.jumps![index + 1] ?? host
      sock = await forwardThrough(jumps.at(-1)!, next.address, next.port).catch((error: Error) => {
        throw new Error(`jump host ${jump.address} could not open a channel to ${next.address}:${next.port} (${error.message})`)
      })
    }
    return { ssh: await openHop(host, authMethods(host, options), options, entries, sock, timeoutMs), jumps }
  } catch (error) {
    for (const jump of jumps) jump.dispose()
    throw error
  }
}

/** Open a verified SSH connection to one host, through its jump hosts, retrying transient failures with backoff. */
export async function connectSsh(host: Host, options: SshOptions): Promise<Executor> {
  const entries = await readKnownHosts(options.knownHostsFile)
  const attempts = host.connectAttempts ?? options.connectAttempts ?? 3
  let connection: { ssh: NodeSSH; jumps: NodeSSH[] } | undefined
  for (let attempt = 1; !connection; attempt++) {
    try {
      connection = await connectOnce(host, options, entries)
    } catch (error) {
      if (error instanceof HostKeyRefused) throw new ConnectError(host.name, error.message)
      if (error instanceof InventoryError) throw error
      if (attempt >= attempts || !isTransient(error as Error)) {
        const message = (error as Error).message.startsWith('jump host') ? `unreachable: ${(error as Error).message}` : describeConnectFailure(host, error as Error)
        throw new ConnectError(host.name, attempts > 1 && attempt > 1 ? `${message} (${attempt} attempts)` : message)
      }
      await new Promise((resolve) => setTimeout(resolve, (options.retryDelayMs ?? 1000) * 2 ** (attempt - 1)))
    }
  }
  const { ssh, jumps } = connection
  const executor = new SshExecutor(host, ssh, jumps)
  // After connect, node-ssh no longer listens for errors: a reset link must fail the host, not the process.
  ssh.connection?.on('error', (error: Error) => executor.lose(error))
  try {
    await checkBecome(executor, host)
  } catch (error) {
    await executor.close()
    throw error
  }
  return executor
}

/**
 * Channels one connection runs at once. sshd refuses a session beyond its MaxSessions (10 by default) with
 * "Channel open failure", and a task's facts are read in parallel; a few stay free for jumps and the user.
 */
const channelsPerConnection = 8

class SshExecutor implements Executor {
  readonly host: string
  private lost?: Error
  private readonly channels = new Slots(channelsPerConnection)
  constructor(private readonly target: Host, private readonly ssh: NodeSSH, private readonly jumps: NodeSSH[] = []) {
    this.host = target.name
  }

  /** Remember that the connection broke; every later command fails with ConnectError. */
  lose(error: Error): void {
    this.lost = error
  }

  run(command: Command, options: RunOptions = {}): Promise<Result> {
    return this.channels.use(() => this.runNow(command, options))
  }

  private async runNow(command: Command, options: RunOptions): Promise<Result> {
    if (this.lost) throw new ConnectError(this.host, `connection lost: ${this.lost.message}`)
    const exec = command.kind === 'put' ? putScript(command) : command
    const { script, stdin } = becomeScript(this.target, exec)
    const started = performance.now()
    let channel: ClientChannel | undefined
    let timer: NodeJS.Timeout | undefined
    let timedOut = false
    const timeout = new Promise<never>((_, reject) => {
      if (exec.timeoutMs)
        timer = setTimeout(() => {
          timedOut = true
          channel?.close()
          reject(new Error(`timed out after ${exec.timeoutMs} ms`))
        }, exec.timeoutMs)
    })
    try {
      const response = await Promise.race([
        this.ssh.execCommand(script, {
          stdin: stdin === undefined ? undefined : Readable.from([Buffer.from(stdin)]),
          noTrim: true,
          onChannel: (c) => (channel = c),
          onStdout: lineSplitter(options.onLine),
        }),
        timeout,
      ])
      return {
        host: this.host,
        command: exec.display,
        exitCode: response.code ?? (response.signal ? 128 : 255),
        stdout: response.stdout,
        stderr: response.stderr,
        durationMs: Math.round(performance.now() - started),
      }
    } catch (error) {
      if (this.lost || !this.ssh.isConnected()) throw new ConnectError(this.host, `connection lost: ${(error as Error).message}`)
      // A command that never ran (no session could be opened) has no output to parse: never pass off
      // empty output as an answer. Only our own timeout becomes a result (exit 124, like timeout(1)).
      if (!timedOut) throw new Error(`${this.host}: could not run a command over SSH: ${(error as Error).message}`)
      return {
        host: this.host,
        command: exec.display,
        exitCode: 124,
        stdout: '',
        stderr: (error as Error).message,
        durationMs: Math.round(performance.now() - started),
      }
    } finally {
      clearTimeout(timer)
    }
  }

  async close(): Promise<void> {
    this.ssh.dispose()
    for (const jump of this.jumps.reverse()) jump.dispose()
  }
}
