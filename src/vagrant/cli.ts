// `npm run vagrant -- COMMAND`: the Vagrant lab's helpers on this machine (the box; the lab itself is `vagrant up`).
import '../lab/cli-guard.ts'
import { parseArgs } from 'node:util'
import chalk from 'chalk'
import { LabError } from '../lab/errors.ts'
import { requireRoot } from '../lab/preflight.ts'
import { ensureBox } from './box.ts'
import { requireVagrantTools } from './machines.ts'

const usage = `usage: npm run vagrant -- COMMAND
  box [--force] [--name NAME]   build the libvirt box from the lab's root file system and \`vagrant box add\` it
                                (reused while its recipe is unchanged); then: GFS_VAGRANT_BOX=NAME vagrant up`

const log = (line: string) => console.error(chalk.dim('vagrant: ') + line)

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = (() => {
    try {
      return parseArgs({ args: argv, options: { force: { type: 'boolean' }, name: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true })
    } catch (error) {
      throw new LabError((error as Error).message, usage)
    }
  })()
  if (values.help) return (console.log(usage), 0)
  if (positionals[0] !== 'box' || positionals.length !== 1) throw new LabError(`unknown command: ${positionals.join(' ') || '(none)'}`, usage)
  requireRoot()
  requireVagrantTools()
  const box = await ensureBox(log, { force: values.force, name: values.name })
  log(`${box.built ? 'built' : 'reused'} ${box.file} as ${box.name}`)
  console.log(box.name)
  return 0
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    if (error instanceof LabError) {
      console.error(chalk.red(`vagrant: ${error.message}`) + (error.hint ? `\n${error.hint}` : ''))
      process.exit(1)
    }
    console.error(error)
    process.exit(70)
  },
)
