// Provisioning figures: the site playbook cold on a fresh lab, then a no-change re-run, with SSH round trips
// from the runner's recap (every remote command, facts included, is one round trip on the host's connection).
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { runPlaybook, recapSucceeded, type Recap } from '../src/engine/play.ts'
import { connectSsh } from '../src/engine/ssh-executor.ts'
import type { EngineEvent } from '../src/engine/events.ts'
import { loadInventory } from '../src/inventory/load.ts'
import type { Inventory } from '../src/inventory/types.ts'
import { loadPlaybook } from '../src/cli/playbooks.ts'

const repoRoot = fileURLToPath(new URL('../', import.meta.url))

export interface SiteRun {
  seconds: number
  changed: number
  roundTrips: number
  recap: Recap
}

/** Runs the site playbook in this process against an inventory file, as the CLI does; throws when a host fails. */
export async function siteRun(inventoryFile: string): Promise<SiteRun> {
  const playbook = await loadPlaybook('site')
  const t0 = performance.now()
  const inventory: Inventory = await loadInventory(inventoryFile)
  const failures: string[] = []
  const sink = (e: EngineEvent) => {
    if (e.type === 'task:end' && (e.status === 'failed' || e.status === 'unreachable')) failures.push(`${e.host} ${e.task}: ${e.message}`)
  }
  const recap = await runPlaybook({
    playbook,
    inventory,
    hosts: inventory.hosts,
    sink,
    connect: (host) => connectSsh(host, { knownHostsFile: inventory.knownHostsFile, trustNewHostKeys: inventory.trustNewHostKeys }),
  })
  const seconds = (performance.now() - t0) / 1000
  if (!recapSucceeded(recap)) throw new Error(`site playbook failed:\n${failures.join('\n')}`)
  const changed = Object.values(recap.hosts).reduce((n, t) => n + t.changed, 0)
  return { seconds, changed, roundTrips: recap.roundTrips, recap }
}

/** Wall time of the whole CLI (`npx zx provision.mjs --inventory FILE --json`): what a user waits for, Node start included. */
export async function cliRunSeconds(inventoryFile: string): Promise<number> {
  const t0 = performance.now()
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn('npx', ['zx', 'provision.mjs', '--inventory', inventoryFile, '--json'], { cwd: repoRoot, stdio: 'ignore' })
    child.on('error', reject)
    child.on('close', (c) => resolve(c ?? 1))
  })
  if (code !== 0) throw new Error(`provision.mjs exited ${code}`)
  return (performance.now() - t0) / 1000
}
