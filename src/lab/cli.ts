// `npm run lab -- COMMAND`: the lab's command line. The only place errors become messages and exit codes.
import './cli-guard.ts'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import chalk from 'chalk'
import { runAttached } from '../engine/process.ts'
import { LabError } from './errors.ts'
import * as lab from './lab.ts'
import { ensureRootfs, parseFlavor } from './rootfs.ts'
import { installDeps, requireRoot } from './preflight.ts'
import { loadTopology } from './topology.ts'
import { execArgv } from './container.ts'
import { sshArgs } from './ssh-keys.ts'
import { inventoryPath } from './paths.ts'
import { instance } from './instance.ts'

const usage = `usage: [GFS_LAB_INSTANCE=0..9] npm run lab -- COMMAND
  up [--flavor ready|bare] [--with arbiter,intruder]
                                               bring the lab up (idempotent; repairs a half-up lab); --with adds the
                                               arbiter (a third host, in the inventory as role: arbiter) or the intruder
  down                                         stop and remove everything the lab created
  status [--json]                              what is running
  ssh HOST [CMD...]                            ssh into a host as root (strict host keys)
  exec HOST -- CMD [ARGS...]                   run a command as root on a host
  reboot HOST                                  reboot a host for real; returns once sshd answers
  destroy HOST                                 remove a host with its data disk and host keys; the next up
                                               makes it anew (a reinstalled server)
  shape RATE_KBIT|off [--rtt MS]               limit the WAN in both directions and set its RTT
  link down|up                                 cut or restore hydra's WAN (plexus and the arbiter stay connected)
  deps                                         apt-get install what the lab needs
  rootfs                                       build the cached root file systems (both flavors) now, boot nothing`

const log = (line: string) => console.error(chalk.dim('lab: ') + line)

type Options = NonNullable<ParseArgsConfig['options']>

/** A command's own options and its positional arguments; anything else is a usage error. */
function parse<O extends Options>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true })
  } catch (error) {
    throw new LabError((error as Error).message, usage)
  }
}

const passthrough = (argv: string[]): Promise<number> => runAttached(argv)

async function main(args: string[]): Promise<number> {
  const cmd = args.shift()
  switch (cmd) {
    case 'up': {
      const { values, positionals } = parse(args, { flavor: { type: 'string' }, with: { type: 'string', multiple: true } })
      const flavor = parseFlavor(values.flavor)
      const extras = (values.with ?? []).flatMap((w) => w.split(',')).filter(Boolean)
      const unknown = extras.filter((w) => w !== 'arbiter' && w !== 'intruder')
      if (unknown.length) throw new LabError(`--with ${unknown.join(',')}: expected --with arbiter, --with intruder or both (--with arbiter,intruder)`)
      if (positionals.length) throw new LabError(`unexpected arguments: ${positionals.join(' ')}`)
      await lab.up({ flavor, intruder: extras.includes('intruder'), arbiter: extras.includes('arbiter'), log })
      console.log(inventoryPath)
      return 0
    }
    case 'down':
      await lab.down({ log })
      return 0
    case 'status': {
      const { values } = parse(args, { json: { type: 'boolean' } })
      const s = await lab.status()
      if (values.json) {
        console.log(JSON.stringify(s, null, 2))
      } else {
        const shape = s.state ? `${s.state.shape.rateKbit ? `${s.state.shape.rateKbit} kbit/s` : 'unlimited'}, rtt ${s.state.shape.rttMs} ms, link ${s.state.link}` : '-'
        console.log(`lab${instance ? ` ${instance}` : ''}: ${s.up ? chalk.green('up') : chalk.yellow('not up')}  flavor: ${s.state?.flavor ?? '-'}  wan: ${shape}  apt proxy: ${s.aptProxy ? 'running' : 'stopped'}`)
        for (const h of s.hosts) {
          const st = h.running ? chalk.green('running') : chalk.red('stopped')
          console.log(`  ${h.name.padEnd(9)} ${st}  mgmt ${h.management}  wan ${h.wan}  sshd ${h.sshd ? 'yes' : 'no'}  /data ${h.dataMounted ? 'mounted' : 'missing'}  boots ${h.boots}`)
        }
      }
      return s.up ? 0 : 1
    }
    case 'ssh': {
      const name = args.shift()
      if (!name) throw new LabError('ssh needs a host name')
      const host = lab.hostByName(loadTopology(), name)
      const rest = args[0] === '--' ? args.slice(1) : args
      return passthrough(['ssh', ...sshArgs(), ...(rest.length || !process.stdin.isTTY ? [] : ['-t']), `root@${host.management}`, ...rest])
    }
    case 'exec': {
      requireRoot()
      const name = args.shift()
      if (!name) throw new LabError('exec needs a host name')
      lab.hostByName(loadTopology(), name)
      const rest = args[0] === '--' ? args.slice(1) : args
      if (!rest.length) throw new LabError('exec needs a command', 'npm run lab -- exec HOST -- CMD ARGS...')
      return passthrough(await execArgv(name, rest))
    }
    case 'reboot': {
      const name = args.shift()
      if (!name) throw new LabError('reboot needs a host name')
      await lab.reboot(name, { log })
      return 0
    }
    case 'destroy': {
      const name = args.shift()
      if (!name || args.length) throw new LabError('destroy needs one host name', 'npm run lab -- destroy HOST')
      await lab.destroyHost(name)
      log(`${name} destroyed with its data disk; \`npm run lab -- up\` brings up a fresh one with a new host key`)
      return 0
    }
    case 'shape': {
      const { values, positionals } = parse(args, { rtt: { type: 'string' } })
      const [rate] = positionals
      const rtt = values.rtt
      if (rate === undefined) throw new LabError('shape needs a rate in kbit/s or "off"')
      const rateKbit = rate === 'off' ? null : Number(rate)
      if (rateKbit !== null && !(rateKbit > 0)) throw new LabError(`shape ${rate}: expected a rate in kbit/s or "off"`)
      const rttMs = rtt === undefined ? undefined : Number(rtt)
      if (rttMs !== undefined && Number.isNaN(rttMs)) throw new LabError(`--rtt ${rtt}: expected milliseconds`)
      const s = await lab.shape(rateKbit, rttMs)
      log(`wan: ${s.rateKbit ? `${s.rateKbit} kbit/s` : 'unlimited'}, rtt ${s.rttMs} ms`)
      return 0
    }
    case 'link': {
      const to = args.shift()
      if (to !== 'up' && to !== 'down') throw new LabError('link needs "up" or "down"')
      await lab.link(to)
      log(`wan link ${to}`)
      return 0
    }
    case 'deps':
      await installDeps(log)
      return 0
    case 'rootfs':
      requireRoot()
      for (const flavor of ['ready', 'bare'] as const) log(`${flavor}: ${await ensureRootfs(flavor, log)}`)
      return 0
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(usage)
      return cmd === undefined ? 2 : 0
    default:
      throw new LabError(`unknown command "${cmd}"`, usage)
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof LabError) {
      console.error(chalk.red('lab: ') + err.message)
      if (err.hint) console.error(err.hint)
      process.exit(1)
    }
    console.error(err)
    process.exit(70)
  },
)
