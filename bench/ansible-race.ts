// The race against Ansible: our site playbook and bench/ansible/site.yml (Ansible's modules and the
// gluster.gluster collection building the same appliance as far as they can), each on a freshly booted lab,
// cold and then a no-change re-run (median of 5), both started from the shell as a user starts them.
import { spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { bundleAgent } from '../src/agent/bundle.ts'
import * as lab from '../src/lab/api.ts'
import { median } from './stats.ts'

const repoRoot = fileURLToPath(new URL('../', import.meta.url))

export interface AnsibleRace {
  oursColdSeconds: number
  oursRerunSeconds: number
  ansibleColdSeconds: number
  ansibleRerunSeconds: number
  /** ours / Ansible's, no-change re-run */
  rerunVsAnsible: number
  /** Ansible's own count of changed tasks in its last re-run (0 when its playbook is idempotent) */
  ansibleRerunChanged: number
}

interface Timed {
  seconds: number
  output: string
}

function timed(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<Timed> {
  const t0 = performance.now()
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (b) => (output += b))
    child.stderr.on('data', (b) => (output += b))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${argv.join(' ')} exited ${code}:\n${output.slice(-3000)}`))
      else resolve({ seconds: (performance.now() - t0) / 1000, output })
    })
  })
}

async function freshLab(log: (line: string) => void): Promise<void> {
  log(`  lab ${lab.instance}: down, then up --flavor ready`)
  await lab.down({ log: () => {} })
  await lab.up({ flavor: 'ready', log: () => {} })
}

/** Cold, then five no-change re-runs of one command line; the re-run figure is their median. */
async function race(name: string, argv: string[], env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<{ cold: number; rerun: number; last: string }> {
  const cold = await timed(argv, env)
  log(`  ${name} cold: ${cold.seconds.toFixed(2)} s`)
  const reruns: number[] = []
  let last = ''
  for (let i = 0; i < 5; i++) {
    const run = await timed(argv, env)
    reruns.push(run.seconds)
    last = run.output
  }
  log(`  ${name} re-runs: ${reruns.map((s) => s.toFixed(2)).join(', ')} s`)
  return { cold: cold.seconds, rerun: median(reruns), last }
}

// Debian's ansible package (Ansible 7.7 with the gluster.gluster collection) is large: the bench installs it,
// not `npm run lab -- deps`.
async function ensureAnsible(log: (line: string) => void): Promise<void> {
  const found = await timed(['ansible-playbook', '--version']).then(() => true, () => false)
  if (found) return
  log('  installing Debian\'s ansible package')
  await timed(['apt-get', '-o', 'DPkg::Lock::Timeout=900', 'install', '-y', '--no-install-recommends', 'ansible'], { DEBIAN_FRONTEND: 'noninteractive' })
}

/** Both appliances, each on a fresh lab; leaves the lab up with Ansible's appliance on it. */
export async function ansibleRace(log: (line: string) => void): Promise<AnsibleRace> {
  await ensureAnsible(log)
  const agentFile = join(mkdtempSync(join(tmpdir(), 'gfs-race-')), 'gfs-writecache')
  writeFileSync(agentFile, (await bundleAgent()).code, { mode: 0o755 })

  await freshLab(log)
  const ours = await race('ours (./provision.mjs)', ['./provision.mjs', '--inventory', lab.inventoryPath, '--json'], {}, log)

  await freshLab(log)
  const ansibleEnv = {
    ANSIBLE_PIPELINING: '1',
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_SSH_ARGS: `-C -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=${lab.sshKnownHostsPath}`,
    GFS_AGENT_PROGRAM: agentFile,
  }
  const ansible = await race('Ansible (ansible-playbook)', ['ansible-playbook', '-i', lab.inventoryPath, 'bench/ansible/site.yml'], ansibleEnv, log)
  const changed = [...ansible.last.matchAll(/changed=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0)
  return {
    oursColdSeconds: ours.cold,
    oursRerunSeconds: ours.rerun,
    ansibleColdSeconds: ansible.cold,
    ansibleRerunSeconds: ansible.rerun,
    rerunVsAnsible: ours.rerun / ansible.rerun,
    ansibleRerunChanged: changed,
  }
}

// `node --import tsx bench/ansible-race.ts`: only the race, on this lab instance (GFS_LAB_INSTANCE).
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await ansibleRace((line) => console.log(line))
  console.log(JSON.stringify(result, null, 2))
}
