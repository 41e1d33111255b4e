// The provision command: options -> inventory -> playbook -> runner -> report -> exit code.
import chalk from 'chalk'
import { ProvisionError, UsageError, InventoryError } from '../engine/errors.ts'
import { runPlaybook, recapSucceeded } from '../engine/play.ts'
import { connectSsh } from '../engine/ssh-executor.ts'
import { checkNamedKeys } from '../engine/ssh-auth.ts'
import { loadInventory } from '../inventory/load.ts'
import type { Inventory } from '../inventory/types.ts'
import { jsonSink } from '../report/json.ts'
import { maskSecrets } from '../report/mask.ts'
import { terminalSink } from '../report/terminal.ts'
import { caDir, caKeyTexts } from '../tls/ca.ts'
import { parseCli, usage, type CliOptions } from './args.ts'
import { loadPlaybook, withSwitches } from './playbooks.ts'
import { checkTags, limitHosts, playbookTags } from './selection.ts'
import { selectTasks } from '../engine/play.ts'
import type { Playbook } from '../engine/task.ts'
import { version } from './version.ts'

export { limitHosts }

/** Every secret value in the inventory and its CA's private keys, so reports can mask them. */
export function inventorySecrets(inventory: Inventory): string[] {
  const passwords = inventory.hosts.flatMap((h) => [h.password?.value, h.becomePassword?.value].filter((s): s is string => !!s))
  return [...passwords, ...caKeyTexts(caDir(inventory.file))]
}

/** With --verbose: what of the inventory is not ours, so a user sees it was read and left alone. */
function describeInventory(inventory: Inventory): void {
  if (inventory.ignoredHosts?.length) {
    process.stdout.write(chalk.dim(`inventory: hosts outside gfs_storage and gfs_arbiter, left alone: ${inventory.ignoredHosts.join(', ')}\n`))
  }
  for (const { name, origin } of inventory.userVariables ?? []) {
    process.stdout.write(chalk.dim(`inventory: ${name} (${origin.file}${origin.line ? `:${origin.line}` : ''}) is not one of ours: kept for Ansible, unused here\n`))
  }
}

/** --list-tasks and --list-tags, as ansible-playbook prints them. */
function listPlaybook(playbook: Playbook, options: CliOptions): void {
  const out: string[] = [`\nplaybook: ${playbook.name}`, '', `  play #1 (${playbook.name}): ${playbook.description}`]
  if (options.listTags) out.push(`      TASK TAGS: [${playbookTags(playbook).join(', ')}]`)
  if (options.listTasks) {
    out.push('    tasks:')
    for (const task of selectTasks(playbook.tasks, options.tags, options.skipTags)) out.push(`      ${task.name}\tTAGS: [${(task.tags ?? []).join(', ')}]`)
  }
  process.stdout.write(`${out.join('\n')}\n`)
}

async function run(options: CliOptions): Promise<number> {
  const playbook = withSwitches(await loadPlaybook(options.playbook), options.switches)
  checkTags(playbook, '--tags', options.tags)
  checkTags(playbook, '--skip-tags', options.skipTags)
  if ((options.listTasks || options.listTags) && !options.listHosts) {
    listPlaybook(playbook, options)
    return 0
  }
  const inventory = await loadInventory(options.inventory)
  const selected = limitHosts(playbook.hosts?.(inventory) ?? inventory.hosts, options.limit, { ignored: inventory.ignoredHosts })
  if (!options.listHosts) for (const host of selected) checkNamedKeys(host)
  if (options.listHosts) {
    process.stdout.write(`\nplaybook: ${playbook.name}\n\n  play #1 (${playbook.name}): hosts (${selected.length}):\n${selected.map((h) => `    ${h.name}\n`).join('')}`)
    if (options.listTasks || options.listTags) listPlaybook(playbook, options)
    return 0
  }
  const base = options.json ? jsonSink() : terminalSink({ verbose: options.verbose, showReasons: playbook.showReasons })
  const sink = maskSecrets(base, inventorySecrets(inventory))
  if (options.verbose && !options.json) describeInventory(inventory)
  const recap = await runPlaybook({
    playbook,
    inventory,
    hosts: selected,
    check: options.check,
    diff: options.diff,
    tags: options.tags,
    skipTags: options.skipTags,
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
  if (options.version) {
    process.stdout.write(`provision.mjs (gfs-writecache) ${version()}\n  node ${process.versions.node}\n`)
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
