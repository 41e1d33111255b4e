// Keeps one lab host booted: runs systemd-nspawn and boots it again when the container reboots
// (nspawn exits with 133 on reboot). Started detached by `lab up`; stopped with SIGTERM by `lab down`.
import { rmSync, writeFileSync } from 'node:fs'
import { startChild, type ChildProcess } from './proc.ts'

export interface SupervisorConfig {
  name: string
  root: string
  netns: string
  dataMount: string
  pidFile: string
  bootCountFile: string
}

const rebootExitCode = 133

/** nspawn's argv for a lab host: booted systemd, own netns, /dev/fuse, all capabilities, /data bound. */
export function nspawnArgs(c: SupervisorConfig): string[] {
  return [
    '--quiet', '--boot',
    `--directory=${c.root}`,
    `--machine=${c.name}`,
    '--register=no', '--keep-unit',
    `--network-namespace-path=/run/netns/${c.netns}`,
    '--bind=/dev/fuse',
    '--capability=all',
    `--bind=${c.dataMount}:/data`,
    '--resolv-conf=off', '--timezone=off', '--link-journal=no',
    '--console=read-only',
  ]
}

/** Runs the boot loop until the container powers off or the supervisor is told to stop. */
export async function supervise(c: SupervisorConfig): Promise<number> {
  let stopping = false
  let child: ChildProcess | undefined
  const onStop = () => {
    stopping = true
    child?.kill('SIGTERM') // nspawn turns this into an orderly shutdown of the container
  }
  process.on('SIGTERM', onStop)
  process.on('SIGINT', onStop)
  writeFileSync(c.pidFile, String(process.pid))
  let boots = 0
  let code = 0
  try {
    while (!stopping) {
      boots++
      writeFileSync(c.bootCountFile, String(boots))
      console.log(`[supervisor] ${new Date().toISOString()} boot ${boots} of ${c.name}`)
      child = startChild(['systemd-nspawn', ...nspawnArgs(c)], {
        stdio: ['ignore', 'inherit', 'inherit'],
        env: { ...process.env, SYSTEMD_NSPAWN_API_VFS_WRITABLE: '1' },
      })
      code = await new Promise<number>((resolve) => {
        child!.on('error', () => resolve(127))
        child!.on('exit', (c2, sig) => resolve(c2 ?? (sig ? 128 : 1)))
      })
      console.log(`[supervisor] ${new Date().toISOString()} nspawn exited with ${code}`)
      if (code !== rebootExitCode) break
    }
  } finally {
    rmSync(c.pidFile, { force: true })
  }
  return code
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!) && process.argv[2]) {
  const config = JSON.parse(process.argv[2]) as SupervisorConfig
  supervise(config).then((code) => process.exit(code === rebootExitCode ? 0 : code))
}
