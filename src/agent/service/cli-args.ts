// The host CLI's words: the usage text and argv parsing (`gfs-writecache <command> [options]`).
import { parseArgs as parseArgv } from 'node:util'
import { DEFAULT_CONFIG_PATH } from './defaults.ts'

export const USAGE = `usage: gfs-writecache <command> [--config PATH]
commands:
  run                           the flush agent daemon (systemd ExecStart)
  prepare                       before the union is mounted: merge quiescent upper entries into gv0, reclaim
  mount-union | umount-union    mount / plainly unmount the overlay at the union path
  status [--json] [--rescan]    pending work, last publish, errors, conflicts, cache use, upload limit, gluster's
                                health; exits 0 ok, 1 warning, 2 critical, 3 unknown (--json: 0, the verdict is in
                                "health"); --rescan: the daemon walks the cache first, so a file written a
                                moment ago counts as pending
  flush [--wait] [--timeout S] [--now]
                                publish everything quiescent now (--wait: until nothing is pending, with
                                progress and ETA; --now: ignore the upload limit, also pause, for this flush)
  limit [RATE|off|pause|--clear]
                                show the upload limit, or set it until the timetable's next change
                                (RATE like 512k or 2M, bytes/s); --clear goes back to the timetable
  evict                         evict cycle now (or say which processes hold the union)
  conflicts [--json]            list conflicts kept in gv0
  version                       print the agent version
default config: ${DEFAULT_CONFIG_PATH}`

export class UsageError extends Error {}

export interface Args {
  command: string
  config: string
  json: boolean
  wait: boolean
  timeoutSeconds: number
  now: boolean
  clear: boolean
  /** status: the daemon walks the cache before it answers */
  rescan: boolean
  /** the second word, for `limit` */
  value: string | null
}

const OPTIONS = {
  config: { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
  wait: { type: 'boolean' },
  now: { type: 'boolean' },
  clear: { type: 'boolean' },
  rescan: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

/**
 * Parses argv (after the program name); unknown options are usage errors. node:util splits the
 * arguments (non-strict, so every problem is reported here, in argv order, naming the argument as
 * it was typed: the index points back at it, also for a group such as -hx).
 */
export function parseArgs(argv: string[]): Args {
  const a: Args = { command: '', config: DEFAULT_CONFIG_PATH, json: false, wait: false, timeoutSeconds: 600, now: false, clear: false, rescan: false, value: null }
  const { tokens } = parseArgv({ args: argv, options: OPTIONS, strict: false, allowPositionals: true, tokens: true })
  for (const t of tokens) {
    const arg = argv[t.index]
    if (t.kind === 'positional') {
      if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`)
      if (!a.command) a.command = arg
      else if (a.command === 'limit' && a.value === null) a.value = arg
      else throw new UsageError(`unexpected argument ${JSON.stringify(arg)}`)
    } else if (t.kind === 'option-terminator') throw new UsageError(`unknown option ${arg}`)
    else if (t.name === 'config' && arg.startsWith('--config')) {
      if (!t.inlineValue && !t.value) throw new UsageError('--config needs a path')
      a.config = t.value ?? ''
    } else if (t.name === 'timeout' && arg.startsWith('--timeout')) {
      const n = Number(t.value)
      if (!t.value || !Number.isFinite(n) || n < 0) throw new UsageError('--timeout needs a number of seconds')
      a.timeoutSeconds = n
    } else if (t.name === 'json' && arg === '--json') a.json = true
    else if (t.name === 'wait' && arg === '--wait') a.wait = true
    else if (t.name === 'now' && arg === '--now') a.now = true
    else if (t.name === 'clear' && arg === '--clear') a.clear = true
    else if (t.name === 'rescan' && arg === '--rescan') a.rescan = true
    else if (t.name === 'help' && (arg === '--help' || arg === '-h')) a.command = 'help'
    else throw new UsageError(`unknown option ${arg}`)
  }
  if (a.command === 'limit' && a.clear && a.value !== null) throw new UsageError('limit takes a value or --clear, not both')
  if (a.rescan && a.command !== 'status') throw new UsageError('--rescan goes with status only')
  return a
}
