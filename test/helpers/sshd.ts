// A real sshd on 127.0.0.1 with throw-away keys, for testing the SSH executor end to end.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TestSshd {
  port: number
  dir: string
  clientKey: string
  hostPublicKey: string
  stop(): void
}

async function freePort(): Promise<number> {
  return await new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port
      server.close(() => resolve(port))
    })
  })
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`sshd exited: ${log()}`)
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => (socket.destroy(), resolve(true)))
      socket.once('error', () => resolve(false))
    })
    if (open) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`sshd did not listen on ${port}: ${log()}`)
}

/** Start sshd as root; fails loudly (never skips) when that is not possible. */
export async function startSshd(extraConfig: string[] = []): Promise<TestSshd> {
  if (process.getuid?.() !== 0) throw new Error('the SSH executor tests start a real sshd and must run as root')
  const dir = mkdtempSync(join(tmpdir(), 'gfs-sshd-'))
  const keygen = (file: string) => execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file])
  keygen(join(dir, 'host_key'))
  keygen(join(dir, 'client_key'))
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub')))
  mkdirSync('/run/sshd', { recursive: true })
  const port = await freePort()
  // sshd takes the first value of a keyword: the caller's settings go first so they can override these
  const config = [
    ...extraConfig,
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${join(dir, 'host_key')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'StrictModes no',
    'UsePAM no',
    `PidFile ${join(dir, 'sshd.pid')}`,
    'MaxSessions 32',
  ].join('\n')
  writeFileSync(join(dir, 'sshd_config'), config + '\n')
  let output = ''
  const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout!.on('data', (b) => (output += b))
  child.stderr!.on('data', (b) => (output += b))
  await waitForPort(port, child, () => output)
  return {
    port,
    dir,
    clientKey: join(dir, 'client_key'),
    hostPublicKey: readFileSync(join(dir, 'host_key.pub'), 'utf8').trim(),
    stop() {
      child.kill()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
