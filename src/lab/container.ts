// Running lab hosts: starting a host's supervisor, finding its PID 1, running commands in it, rebooting.
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { hostPaths, repoRoot, runDir } from './paths.ts'
import { hostNs, namespacePids } from './network.ts'
import { livePidIn, pidsWhere, stopPid } from './pids.ts'
import type { Result } from '../engine/result.ts'
import { cgroupFailuresScript } from '../facts/systemd.ts'
import { run, sleep, startDetached } from './proc.ts'
import { LabError } from './errors.ts'
import type { SupervisorConfig } from './supervisor.ts'

/** The supervisor's pid when it is running. */
export function supervisorPid(name: string): number | undefined {
  return livePidIn(hostPaths(name).supervisorPid)
}

/** How many times the supervisor has booted the host (a reboot increments it). */
export function bootCount(name: string): number {
  const f = hostPaths(name).bootCount
  return existsSync(f) ? Number(readFileSync(f, 'utf8')) || 0 : 0
}

/** Starts the host's supervisor detached, so the container outlives the command that started it. */
export async function startSupervisor(name: string): Promise<void> {
  const p = hostPaths(name)
  mkdirSync(runDir, { recursive: true })
  const config: SupervisorConfig = {
    name,
    root: p.root,
    netns: hostNs(name),
    dataMount: p.diskMount,
    pidFile: p.supervisorPid,
    bootCountFile: p.bootCount,
  }
  startDetached([process.execPath, '--import', 'tsx', join(repoRoot, 'src/lab/supervisor.ts'), JSON.stringify(config)], p.supervisorLog, { cwd: repoRoot })
  for (let i = 0; i < 100 && !supervisorPid(name); i++) await sleep(50)
}

/** The container's PID 1 as seen from this machine: the process in the host's namespace whose inner pid is 1. */
export async function containerInit(name: string): Promise<number | undefined> {
  for (const pid of await namespacePids(hostNs(name))) {
    try {
      const nspid = /^NSpid:\s+(.+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]?.trim().split(/\s+/)
      if (nspid && nspid.length > 1 && nspid[nspid.length - 1] === '1') return pid
    } catch {}
  }
  return undefined
}

const containerEnv = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root', 'USER=root', 'LOGNAME=root', 'LANG=C.UTF-8', 'TERM=' + (process.env.TERM ?? 'dumb')]

/** nsenter argv that runs a command as root inside a host, with a clean environment. */
export async function execArgv(name: string, argv: string[]): Promise<string[]> {
  const init = await containerInit(name)
  if (!init) throw new LabError(`${name} is not running`, 'run `npm run lab -- up`')
  return ['nsenter', `--target=${init}`, '--mount', '--uts', '--ipc', '--net', '--pid', '--root', '--wd', '--', 'env', '-i', '-C', '/root', ...containerEnv, ...argv]
}

/** Runs a command as root on a lab host and returns its output and exit code. */
export async function execIn(name: string, argv: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<Result> {
  return run(await execArgv(name, argv), opts)
}

/** Waits until the host's sshd answers with its banner on the management address. */
export async function waitForSsh(address: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await sshBanner(address)) return
    await sleep(200)
  }
  throw new LabError(`sshd on ${address} did not answer within ${timeoutMs / 1000} s`)
}

/**
 * Waits (at most `timeoutMs`) for the host's boot to finish, then starts again the units that failed only because
 * systemd could not attach them to their cgroup (exit status 219/CGROUP): a race of the container's boot on a
 * loaded machine, nothing of the host's own. Seen with systemd-user-sessions, which left /run/nologin behind, so
 * every login but root's was refused. Other failed units are left as they are: they are what tests look at.
 * Returns the units started again.
 */
export async function restartCgroupFailures(name: string, timeoutMs = 30_000): Promise<string[]> {
  await execIn(name, ['systemctl', 'is-system-running', '--wait'], { timeoutMs })
  const again = (await execIn(name, ['sh', '-c', cgroupFailuresScript])).stdout.split(/\s+/).filter(Boolean)
  for (const unit of again) {
    await execIn(name, ['systemctl', 'reset-failed', unit])
    await execIn(name, ['systemctl', 'start', unit], { timeoutMs })
  }
  return again
}

/** Whether an sshd greets us on port 22 of an address. */
export function sshBanner(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: address, port: 22, timeout: 1000 })
    let done = false
    const finish = (ok: boolean) => {
      if (done) return
      done = true
      sock.destroy()
      resolve(ok)
    }
    sock.on('data', (d) => finish(d.toString().startsWith('SSH-')))
    sock.on('error', () => finish(false))
    sock.on('timeout', () => finish(false))
    sock.on('close', () => finish(false))
  })
}

/** Stops a host: orderly shutdown through its supervisor, then anything left in its namespace is killed. */
export async function stopHost(name: string): Promise<void> {
  const sup = supervisorPid(name)
  if (sup) await stopPid(sup, 20000)
  // An nspawn whose supervisor was killed (or whose namespace was deleted) still holds the host's root.
  for (const pid of nspawnsOf(hostPaths(name).root)) await stopPid(pid, 10000)
  for (let round = 0; round < 3; round++) {
    const left = await namespacePids(hostNs(name))
    if (!left.length) break
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {}
    }
    await sleep(300)
  }
}

/** nspawn processes running a given root directory, found through /proc even without their supervisor. */
export function nspawnsOf(root: string): number[] {
  return pidsWhere((argv) => Boolean(argv[0]?.endsWith('systemd-nspawn')) && argv.includes(`--directory=${root}`))
}
