// Publishing through the agent's drain mounts (docs/drain.md): here bind mounts of the lower dir stand in
// for extra gv0 client mounts. Every file arrives whole, once, under its own name; a name the other host
// took stays its file (conflict copy); no temporary is left; a missing or foreign drain mount is left out
// and reported, and with none left the agent publishes through the lower dir itself.
import test from 'ava'
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { classifyDrainMounts, laneOf } from '../../src/agent/fs/drain-mounts.ts'
import type { MountInfo } from '../../src/agent/fs/mounts.ts'
import { isTempName } from '../../src/agent/publish/temp-files.ts'
import { flushAll, forceUmount, onCleanup, sandbox, sleep, text, type Sandbox } from './helpers.ts'

const LANES = 4

/** Makes lower a mount point (bind onto itself) and binds it at drain/1..n, as provisioning mounts gv0 again. */
function drainMounts(sb: Sandbox, n: number): string[] {
  execFileSync('mount', ['--bind', sb.lower, sb.lower])
  const paths = Array.from({ length: n }, (_, i) => join(sb.dir, 'drain', String(i + 1)))
  for (const p of paths) {
    mkdirSync(p, { recursive: true })
    execFileSync('mount', ['--bind', sb.lower, p])
  }
  onCleanup(sb, () => {
    for (const p of paths) forceUmount(p)
    forceUmount(sb.lower)
  })
  return paths
}

function tempsIn(dir: string): string[] {
  const out: string[] = []
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (isTempName(e.name)) out.push(join(dir, e.name))
    if (e.isDirectory()) out.push(...tempsIn(join(dir, e.name)))
  }
  return out
}

test('many files into one directory and into several, through four drain mounts: each arrives once, whole; a taken name becomes a conflict copy', async (t) => {
  const sb = await sandbox(t, { drainMounts: LANES }, { mount: false })
  Object.assign(sb.cfg, { drainMountDir: join(sb.dir, 'drain') })
  mkdirSync(join(sb.lower, 'one'))
  drainMounts(sb, LANES)
  sb.mount()
  const agent = await sb.agent()
  for (let i = 0; i < 200; i++) writeFileSync(join(sb.union, 'one', `f${i}`), `one ${i}\n`.repeat(i + 1))
  for (let d = 0; d < 5; d++) {
    mkdirSync(join(sb.union, `d${d}`))
    for (let i = 0; i < 20; i++) writeFileSync(join(sb.union, `d${d}`, `g${i}`), `d${d} ${i}\n`)
  }
  // the other host takes one of the names while this one's version waits to settle
  writeFileSync(join(sb.lower, 'one', 'f7'), 'theirs\n')
  await sleep(300)
  await flushAll(t, agent, 30_000)
  for (let i = 0; i < 200; i++) if (i !== 7) t.is(text(join(sb.lower, 'one', `f${i}`)), `one ${i}\n`.repeat(i + 1))
  for (let d = 0; d < 5; d++) for (let i = 0; i < 20; i++) t.is(text(join(sb.lower, `d${d}`, `g${i}`)), `d${d} ${i}\n`)
  t.is(text(join(sb.lower, 'one', 'f7')), 'theirs\n')
  const copies = readdirSync(join(sb.lower, 'one')).filter((n) => n.startsWith('f7.conflict-hydra-'))
  t.is(copies.length, 1)
  t.is(text(join(sb.lower, 'one', copies[0]!)), 'one 7\n'.repeat(8))
  t.deepEqual(tempsIn(sb.lower), [])
  const s = await agent.status()
  t.deepEqual(s.drainMounts, { wanted: LANES, usable: LANES, problems: [] })
  // one duration per publish dealt over the mounts: 5 directories, 299 files and the conflict copy's original
  t.true(s.publishDurations!.count >= 5 + 300, `${s.publishDurations!.count} publishes timed`)
  t.true(s.publishDurations!.seconds > 0)
})

test('a drain mount gone or foreign is left out and reported; with none left the lower dir itself is used', async (t) => {
  const sb = await sandbox(t, { drainMounts: 3 }, { mount: false })
  Object.assign(sb.cfg, { drainMountDir: join(sb.dir, 'drain') })
  const paths = drainMounts(sb, 3)
  forceUmount(paths[1]!)
  execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', paths[2]!])
  onCleanup(sb, () => forceUmount(paths[2]!))
  sb.mount()
  const agent = await sb.agent()
  writeFileSync(join(sb.union, 'a'), 'a\n')
  await sleep(300)
  await flushAll(t, agent)
  t.is(text(join(sb.lower, 'a')), 'a\n')
  const s = await agent.status()
  t.is(s.drainMounts?.usable, 1)
  t.deepEqual(s.drainMounts?.problems.map((p) => `${p.path.slice(sb.dir.length)}: ${p.problem.split(' mounted there')[0]}`), ['/drain/2: not mounted', '/drain/3: tmpfs (tmpfs)'])
  forceUmount(paths[0]!)
  writeFileSync(join(sb.union, 'b'), 'b\n')
  await sleep(300)
  await flushAll(t, agent)
  t.is(text(join(sb.lower, 'b')), 'b\n')
  t.is((await agent.status()).drainMounts?.usable, 0)
})

test('drain mounts: only the same volume counts; a name keeps its lane', (t) => {
  const m = (target: string, fstype: string, source: string, options = 'rw', root = '/'): MountInfo => ({ target, fstype, source, options, root })
  const cfg = { lower: '/gfs/gv0', drainMountDir: '/run/d', drainMounts: 4 }
  const got = classifyDrainMounts(cfg, [
    m('/gfs/gv0', 'fuse.glusterfs', 'hydra:/gv0'),
    m('/run/d/1', 'fuse.glusterfs', 'plexus:gv0'),
    m('/run/d/2', 'fuse.glusterfs', 'hydra:/other'),
    m('/run/d/3', 'fuse.glusterfs', 'hydra:/gv0', 'rw,default_permissions'),
  ])
  t.deepEqual(got.usable, ['/run/d/1'])
  t.deepEqual(got.problems.map((p) => `${p.path}: ${p.problem}`), [
    '/run/d/2: hydra:/other (fuse.glusterfs) mounted there, not hydra:/gv0 (fuse.glusterfs)',
    '/run/d/3: mounted without acl',
    '/run/d/4: not mounted',
  ])
  t.deepEqual(classifyDrainMounts(cfg, [m('/run/d/1', 'fuse.glusterfs', 'hydra:/gv0')]).problems[0], { path: '/run/d/1', problem: '/gfs/gv0 is not a mount point' })
  // bind mounts: the same subtree only
  const bind = classifyDrainMounts({ ...cfg, drainMounts: 2 }, [m('/gfs/gv0', 'ext4', '/dev/sda1', 'rw', '/x'), m('/run/d/1', 'ext4', '/dev/sda1', 'rw', '/x'), m('/run/d/2', 'ext4', '/dev/sda1', 'rw', '/y')])
  t.deepEqual(bind.usable, ['/run/d/1'])
  const lanes = Array.from({ length: 1000 }, (_, i) => laneOf(`dir/f${i}`, 16))
  t.deepEqual(lanes, Array.from({ length: 1000 }, (_, i) => laneOf(`dir/f${i}`, 16)))
  for (let l = 0; l < 16; l++) t.true(lanes.filter((x) => x === l).length > 30, `lane ${l} gets its share`)
})
