// `npm run demo`: the main job on the lab: bring it up from bare hosts, provision, show the result.
import chalk from 'chalk'
import { runAttached } from '../engine/process.ts'
import * as lab from '../lab/api.ts'
import { flushDefaults } from '../agent/service/defaults.ts'
import { parseDd, printSeedTable, type DdFigure, type SeedRows } from './demo-table.ts'

const say = (text: string) => console.log(chalk.bold.blue(`\n==> ${text}`))

const provision = (...args: string[]): Promise<number> => runAttached(['npx', 'zx', 'provision.mjs', ...args])

async function show(host: string, title: string, argv: string[]): Promise<void> {
  const r = await lab.exec(host, argv, { timeoutMs: 600_000 })
  console.log(chalk.dim(`${host}$ ${argv.join(' ')}`) + (title ? chalk.dim(`   # ${title}`) : ''))
  process.stdout.write(r.stdout + r.stderr)
}

const seedLink = { kbit: 2500, rttMs: 30 }

async function dd(file: string): Promise<DdFigure> {
  const r = await lab.exec('hydra', ['dd', 'if=/dev/zero', `of=${file}`, 'bs=1K', 'count=1024', 'conv=fsync'], { timeoutMs: 300_000 })
  if (r.exitCode !== 0) throw new Error(`hydra: dd of=${file} exited ${r.exitCode}: ${r.stderr.trim()}`)
  return parseDd(r.stderr)
}

/**
 * The writes with hydra's agent stopped, as the bench takes them (no drain competes for the link or the
 * disk), the union's into a directory new in the union; then the agent started and its drain shown.
 */
async function seedRows(): Promise<SeedRows> {
  const stamp = Date.now()
  await lab.exec('hydra', ['gfs-writecache', 'flush', '--wait', '--timeout', '120'], { timeoutMs: 180_000 })
  await lab.exec('hydra', ['systemctl', 'stop', 'gfs-writecache'])
  let gv0: DdFigure
  let union: DdFigure
  try {
    await lab.exec('hydra', ['mkdir', '-p', `/gfs/gv0/demo-${stamp}-gv0`, `/gfs/union/demo-${stamp}`])
    gv0 = await dd(`/gfs/gv0/demo-${stamp}-gv0/1MiB`)
    union = await dd(`/gfs/union/demo-${stamp}/1MiB`)
  } finally {
    await lab.exec('hydra', ['systemctl', 'start', 'gfs-writecache'])
  }
  const started = performance.now()
  await show('hydra', 'the drain of what the union took', ['gfs-writecache', 'flush', '--wait', '--timeout', '300'])
  return { link: seedLink, gv0, union, drainSeconds: (performance.now() - started) / 1000 }
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
// two positional arguments would be findmnt's <source> <target> pair: name each mount point
for (const host of ['hydra', 'plexus']) {
  for (const mountPoint of ['/gfs/gv0', '/gfs/union']) await show(host, '', ['findmnt', '-o', 'TARGET,SOURCE,FSTYPE,OPTIONS', '--mountpoint', mountPoint])
}
say(`health: npx zx provision.mjs status --inventory ${inventory}`)
await provision('status', '--inventory', inventory)
await show('hydra', 'what a monitor calls: exit 0 ok, 1 warning, 2 critical', ['gfs-writecache', 'status'])
say(`the point: the same 1 MiB written in 1 KiB blocks on a home uplink (${seedLink.kbit} kbit/s, ${seedLink.rttMs} ms RTT)`)
const before = (await lab.status()).state?.shape
await lab.shape(seedLink.kbit, { rttMs: seedLink.rttMs })
try {
  printSeedTable(await seedRows(), flushDefaults.settleSeconds)
} finally {
  await lab.shape(before?.rateKbit ?? null, before ? { rttMs: before.rttMs } : {})
}
say(`done: the lab stays up (npm run lab -- status | ssh HOST | down); inventory: ${lab.inventoryPath}`)
