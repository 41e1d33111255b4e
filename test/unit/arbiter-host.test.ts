// The arbiter host: the lab writes it into its inventory as role: arbiter, the inventory loader reads that as
// an appliance of replica 3 arbiter 1, and the playbooks run only glusterd and its brick on it.
import test from 'ava'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { repoRoot } from '../../src/lab/paths.ts'
import { renderInventory } from '../../src/lab/inventory-writer.ts'
import { runningHosts } from '../../src/lab/lab.ts'
import { readTopology } from '../../src/lab/topology.ts'
import { wanSide } from '../../src/lab/network.ts'
import { loadInventory } from '../../src/inventory/load.ts'
import { applianceTasks } from '../../src/tasks/appliance.ts'
import type { TaskContext } from '../../src/engine/task.ts'
import status from '../../playbooks/status.ts'
import { bundle } from '../cases/agent.ts'
import { fixture } from '../helpers/inventory-files.ts'

test('the lab runs the arbiter only when asked, on the storage side that stays with plexus, and lists it with its role', async (t) => {
  const topo = readTopology()
  t.deepEqual(runningHosts(topo, { arbiter: false, intruder: false }).map((h) => h.name), ['hydra', 'plexus'])
  t.deepEqual(runningHosts(topo, { arbiter: true, intruder: true }).map((h) => h.name), ['hydra', 'plexus', 'arbiter', 'intruder'])
  t.is(wanSide(topo, 'arbiter'), wanSide(topo, 'plexus'), '`link down` cuts hydra alone')
  t.not(wanSide(topo, 'arbiter'), wanSide(topo, 'hydra'))
  const all = [topo.arbiter, ...topo.hosts, topo.intruder]
  t.is(new Set(all.map((h) => h.management)).size, all.length, 'own management address')
  t.is(new Set(all.map((h) => h.wan)).size, all.length, 'own WAN address')
  const dir = await fixture({ 'lab.yaml': renderInventory(runningHosts(topo, { arbiter: true, intruder: false }), '/k', '/kh') })
  const inventory = await loadInventory(join(dir, 'lab.yaml'))
  t.deepEqual(inventory.hosts.map((h) => [h.name, h.role]), [['hydra', 'storage'], ['plexus', 'storage'], ['arbiter', 'arbiter']])
})

test('on the arbiter only glusterd, its brick and the volume run: no gv0 mount, cache, union or agent', async (t) => {
  const dir = await fixture({ 'inv.yaml': 'all:\n  hosts:\n    hydra:\n    plexus:\n    witness:\n      role: arbiter\n' })
  const inventory = await loadInventory(join(dir, 'inv.yaml'))
  const on = (name: string): TaskContext => ({ host: inventory.hosts.find((h) => h.name === name)!, hosts: inventory.hosts, inventory, check: false })
  const runs = (task: { when?: (ctx: TaskContext) => boolean | string }, ctx: TaskContext) => (task.when?.(ctx) ?? true) === true
  const tasks = applianceTasks(bundle, { createVolume: true })
  const skipped = tasks.filter((task) => !runs(task, on('witness'))).map((task) => task.name)
  for (const name of ['gv0 in /etc/fstab', 'gv0 mounted', 'gv0 client alive', 'cache upper dir', 'union mounted', 'flush agent running', 'drain mounts for the agent'])
    t.true(skipped.includes(name), `${name} skipped on the arbiter`)
  for (const name of ['glusterd enabled and running', 'brick directory', 'TLS certificate installed', 'brick identity', 'pending heals'])
    t.false(skipped.includes(name), `${name} runs on the arbiter`)
  t.deepEqual(tasks.filter((task) => !runs(task, on('hydra'))).map((task) => task.name), [], 'a storage host runs every task')
  const statusSkipped = status.tasks.filter((task) => !runs(task, on('witness'))).map((task) => task.name)
  t.deepEqual(statusSkipped, ['mounts', 'flush agent'])
  t.regex(String(tasks.find((task) => task.name === 'union mounted')!.when!(on('witness'))), /arbiter host: no gv0 mount, union or agent/)
})

test('GFS_VAGRANT_ARBITER=1 adds the same arbiter to the Vagrant lab, in its inventory with its role', (t) => {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GFS_VAGRANT_') && k !== 'LAB_INTRUDER'))
  const plan = (extra: Record<string, string>) => {
    const r = spawnSync('ruby', [join(repoRoot, 'lab', 'vagrant_lab.rb')], { encoding: 'utf8', env: { ...env, ...extra } })
    t.is(r.status, 0, r.stderr)
    return JSON.parse(r.stdout).machines as { name: string; wan: string; dataDiskMb: number; inInventory: boolean; role?: string }[]
  }
  const topo = readTopology()
  const arbiter = plan({ GFS_VAGRANT_ARBITER: '1' }).find((m) => m.name === 'arbiter')
  t.like(arbiter, { wan: topo.arbiter.wan, dataDiskMb: topo.arbiter.dataDiskMb, inInventory: true, role: 'arbiter' })
  t.false(plan({}).some((m) => m.name === 'arbiter'), 'only when asked for')
})
