// Command-line parsing for provision.mjs: pure, so every option is unit-tested.
import { parseArgs } from 'node:util'
import { UsageError } from '../engine/errors.ts'
import { availablePlaybooks } from './playbooks.ts'

export interface CliOptions {
  playbook: string
  inventory: string
  check: boolean
  diff: boolean
  limit?: string[]
  tags?: string[]
  skipTags?: string[]
  listHosts: boolean
  listTasks: boolean
  listTags: boolean
  version: boolean
  json: boolean
  verbose: boolean
  help: boolean
  trustNewHostKeys: boolean
  /** switches only some playbooks take (teardown's --force, --delete-volume, --delete-data), when given */
  switches: Record<string, boolean>
}

const playbookList = (): string =>
  availablePlaybooks()
    .sort((a, b) => (a === 'site' ? -1 : b === 'site' ? 1 : a.localeCompare(b)))
    .map((name) => (name === 'site' ? 'site (default)' : name))
    .join(', ')

/** Switches that belong to one playbook; the playbook says which it takes. */
export const playbookSwitches = ['force', 'delete-volume', 'delete-data'] as const

export const usage = `Usage: provision.mjs [PLAYBOOK] --inventory NAME|PATH [options]

Playbooks: ${playbookList()}

Options:
  -i, --inventory NAME|PATH  an inventory file or directory (YAML or INI), from the current directory,
                             else inventory/NAME.yaml
      --check                plan only: report what would change, change nothing
      --diff                 show unified diffs of files and units that change
  -l, --limit PATTERN        hosts or groups, comma-separated: hydra, gfs_storage, hy*, ~regex,
                             !exclude, &intersect, @file (one pattern a line)
  -t, --tags TAG[,TAG]       run only tasks with these tags
      --skip-tags TAG[,TAG]  leave out tasks with these tags
      --list-hosts           list the hosts the run would touch, then stop
      --list-tasks           list the tasks the run would run, with their tags, then stop
      --list-tags            list the playbook's tags, then stop
      --json                 JSON Lines events on stdout; the last line is the recap
  -v, --verbose              show every command and why unchanged tasks are ok
      --trust-new-host-keys  pin host keys not yet in known_hosts (changed and revoked keys are always refused)
      --version              the version, then stop
  -h, --help                 this text

Teardown only:
      --force                go on when cached entries cannot be published now (they stay in the cache)
      --delete-volume        also stop and delete the volume (brick data stays)
      --delete-data          also delete the bricks' data and the cache (needs --delete-volume)

Exit codes: 0 all hosts fine; 1 the run itself failed (see the message); 2 a host failed or was unreachable;
64 wrong usage; 65 bad inventory or key file; 70 internal error (a bug: run again with -v for the trace)
`

const list = (value: string | undefined) =>
  value === undefined ? undefined : value.split(',').map((s) => s.trim()).filter(Boolean)

/** Turn argv (after the script name) into options; wrong usage throws UsageError. */
export function parseCli(argv: string[]): CliOptions {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        inventory: { type: 'string', short: 'i' },
        check: { type: 'boolean', default: false },
        diff: { type: 'boolean', default: false },
        limit: { type: 'string', short: 'l' },
        tags: { type: 'string', short: 't' },
        'skip-tags': { type: 'string' },
        'list-hosts': { type: 'boolean', default: false },
        'list-tasks': { type: 'boolean', default: false },
        'list-tags': { type: 'boolean', default: false },
        version: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        verbose: { type: 'boolean', short: 'v', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        'trust-new-host-keys': { type: 'boolean', default: false },
        force: { type: 'boolean' },
        'delete-volume': { type: 'boolean' },
        'delete-data': { type: 'boolean' },
      },
    })
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${usage}`)
  }
  const { values, positionals } = parsed
  if (positionals.length > 1) throw new UsageError(`one playbook at a time, got: ${positionals.join(' ')}\n\n${usage}`)
  const playbook = positionals[0] ?? 'site'
  if (!/^[a-z][a-z0-9-]*$/.test(playbook)) throw new UsageError(`not a playbook name: ${JSON.stringify(playbook)}\n\n${usage}`)
  if (!values.help && !values.version && !values['list-tags'] && !values['list-tasks'] && !values.inventory) throw new UsageError(`--inventory is required (e.g. --inventory home)\n\n${usage}`)
  return {
    playbook,
    inventory: values.inventory ?? '',
    check: values.check ?? false,
    diff: values.diff ?? false,
    limit: list(values.limit),
    tags: list(values.tags),
    skipTags: list(values['skip-tags']),
    listHosts: values['list-hosts'] ?? false,
    listTasks: values['list-tasks'] ?? false,
    listTags: values['list-tags'] ?? false,
    version: values.version ?? false,
    json: values.json ?? false,
    verbose: values.verbose ?? false,
    help: values.help ?? false,
    trustNewHostKeys: values['trust-new-host-keys'] ?? false,
    switches: Object.fromEntries(playbookSwitches.filter((k) => values[k]).map((k) => [k, true])),
  }
}
