// `npm run demo`: the main job on the lab: bring it up from bare hosts, provision, show the result.
import chalk from 'chalk'
import { runAttached } from '../engine/process.ts'
import * as lab from '../lab/api.ts'

const say = (text: string) => console.log(chalk.bold.blue(`\n==> ${text}`))

const provision = (...args: string[]): Promise<number> => runAttached(['npx', 'zx', 'provision.mjs', ...args])

async function show(host: string, title: string, argv: string[]): Promise<void> {
  const r = await lab.exec(host, argv)
  console.log(chalk.dim(`${host}$ ${argv.join(' ')}`) + (title ? chalk.dim(`   # ${title}`) : ''))
  process.stdout.write(r.stdout + r.stderr)
}

say('bringing the lab up: hydra and plexus as bare Debian bookworm hosts')
await lab.up({ flavor: process.env.LAB_FLAVOR === 'ready' ? 'ready' : 'bare', log: (l) => console.log(chalk.dim(`lab: ${l}`)) })
const inventory = lab.inventoryName()
say(`provisioning: npx zx provision.mjs --inventory ${inventory}`)
if ((await provision('--inventory', inventory)) !== 0) process.exit(1)
say('a file written through the union on hydra, then flushed to gv0')
await lab.exec('hydra', ['sh', '-c', 'date > /gfs/union/hello-from-hydra.txt'])
await show('hydra', 'publish everything pending, wait until done', ['gfs-writecache', 'flush', '--wait', '--timeout', '120'])
for (const host of ['hydra', 'plexus']) await show(host, 'the brick holds it', ['cat', '/data/brick1/gv0/hello-from-hydra.txt'])
say('the result')
await show('hydra', '', ['gluster', 'volume', 'info', 'gv0'])
for (const host of ['hydra', 'plexus']) await show(host, '', ['findmnt', '-o', 'TARGET,SOURCE,FSTYPE,OPTIONS', '/gfs/gv0', '/gfs/union'])
say(`health: npx zx provision.mjs status --inventory ${inventory}`)
provision('status', '--inventory', inventory)
say(`done: the lab stays up (npm run lab -- status | ssh HOST | down); inventory: ${lab.inventoryPath}`)
