// Command-line parsing for provision.mjs: pure, so every option is unit-tested.
import { parseArgs } from 'node:util'
import { UsageError } from '../engine/errors.ts'

export interface CliOptions {
  playbook: string
  inventory: string
  check: boolean
  diff: boolean
  limit?: string[]
  tags?: string[]
  json: boolean
  verbose: boolean
  help: boolean
  trustNewHostKeys: boolean
  /** switches only some playbooks take (teardown's --force, --delete-volume, --delete-data), when given */
  switches: Record<string, boolean>
}

/** Switches that belong to one playbook; the playbook says which it takes. */
export const playbookSwitches = ['force', 'delete-volume', 'delete-data'] as const

export const usage = `Usage: npx zx provision.mjs [PLAYBOOK] --inventory NAME|PATH [options]

Playbooks: site (default), repair, status, flush, teardown

Options:
  -i, --inventory NAME|PATH  inventory/NAME.yaml, or a path to an inventory file
      --check                plan only: report what would change, change nothing
      --diff                 show before/after of files and units that change
  -l, --limit HOST[,HOST]    run on these hosts only
  -t, --tags TAG[,TAG]       run only tasks with these tags
      --json                 JSON Lines events on stdout; the last line is the recap
  -v, --verbose              show every command and why unchanged tasks are ok
      --trust-new-host-keys  pin host keys not yet in known_hosts (changed keys are always refused)
  -h, --help                 this text

Teardown only:
      --force                go on when cached entries cannot be published now (they stay in the cache)
      --delete-volume        also stop and delete the volume (brick data stays)
      --delete-data          also delete the bricks' data and the cache (needs --delete-volume)
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
  if (!values.help && !values.inventory) throw new UsageError(`--inventory is required (e.g. --inventory home)\n\n${usage}`)
  return {
    playbook,
    inventory: values.inventory ?? '',
    check: values.check ?? false,
    diff: values.diff ?? false,
    limit: list(values.limit),
    tags: list(values.tags),
    json: values.json ?? false,
    verbose: values.verbose ?? false,
    help: values.help ?? false,
    trustNewHostKeys: values['trust-new-host-keys'] ?? false,
    switches: Object.fromEntries(playbookSwitches.filter((k) => values[k]).map((k) => [k, true])),
  }
}
