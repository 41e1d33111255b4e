// The provision command: options -> inventory -> playbook -> runner -> report -> exit code.
import chalk from 'chalk'
import { ProvisionError, UsageError, InventoryError } from '../engine/errors.ts'
import { runPlaybook, recapSucceeded } from '../engine/play.ts'
import { connectSsh } from '../engine/ssh-executor.ts'
import { loadInventory } from '../inventory/load.ts'
import type { Host, Inventory } from '../inventory/types.ts'
import { jsonSink } from '../report/json.ts'
import { maskSecrets } from '../report/mask.ts'
import { terminalSink } from '../report/terminal.ts'
import { caDir, caKeyTexts } from '../tls/ca.ts'
import { parseCli, usage, type CliOptions } from './args.ts'
import { loadPlaybook, withSwitches } from './playbooks.ts'

/** Hosts named by --limit, in inventory order; an unknown name is a usage error. */
export function limitHosts(hosts: Host[], limit?: string[]): Host[] {
  if (!limit) return hosts
  const unknown = limit.filter((name) => !hosts.some((h) => h.name === name))
  if (unknown.length)
    throw new UsageError(`--limit names unknown host(s): ${unknown.join(', ')}; the inventory has ${hosts.map((h) => h.name).join(', ')}`)
  return hosts.filter((h) => limit.includes(h.name))
}

/** Every secret value in the inventory and its CA's private keys, so reports can mask them. */
export function inventorySecrets(inventory: Inventory): string[] {
  const passwords = inventory.hosts.flatMap((h) => [h.password?.value, h.becomePassword?.value].filter((s): s is string => !!s))
  return [...passwords, ...caKeyTexts(caDir(inventory.file))]
}

async function run(options: CliOptions): Promise<number> {
  const inventory = await loadInventory(options.inventory)
  const playbook = withSwitches(await loadPlaybook(options.playbook), options.switches)
  const selected = limitHosts(playbook.hosts?.(inventory) ?? inventory.hosts, options.limit)
  const base = options.json ? jsonSink() : terminalSink({ verbose: options.verbose, showReasons: playbook.showReasons })
  const sink = maskSecrets(base, inventorySecrets(inventory))
  const recap = await runPlaybook({
    playbook,
    inventory,
    hosts: selected,
    check: options.check,
    diff: options.diff,
    tags: options.tags,
    sink,
    connect: (host) =>
      connectSsh(host, {
        knownHostsFile: inventory.knownHostsFile,
        trustNewHostKeys: options.trustNewHostKeys || inventory.trustNewHostKeys,
      }),
  })
  return recapSucceeded(recap) ? 0 : 2
}

/**
 * A reader that stops early (`| head`) must not kill a run halfway through changing hosts: output that
 * nobody reads any more is dropped and the run goes on to its end and exit code.
 */
function outlivePipeReaders(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error
  })
}

/** Entry point: returns the exit code; only here do errors become messages. */
export async function main(argv: string[]): Promise<number> {
  outlivePipeReaders()
  let options: CliOptions
  try {
    options = parseCli(argv)
  } catch (error) {
    process.stderr.write(`${chalk.red('error:')} ${(error as Error).message}\n`)
    return 64
  }
  if (options.help) {
    process.stdout.write(usage)
    return 0
  }
  try {
    return await run(options)
  } catch (error) {
    if (error instanceof InventoryError || error instanceof UsageError) {
      process.stderr.write(`${chalk.red('error:')} ${error.message}\n`)
      return error instanceof UsageError ? 64 : 65
    }
    if (error instanceof ProvisionError) {
      process.stderr.write(`${chalk.red('error:')} ${error.message}\n`)
      return 1
    }
    process.stderr.write(`${chalk.red('internal error:')} ${(error as Error).message}\n`)
    if (options.verbose) process.stderr.write(`${(error as Error).stack}\n`)
    return 70
  }
}
