// Crash-safe reclaim: a SIGKILL at any point of an offline prepare or evict never turns reclaimed
// entries into deletes in gv0, and a directory with a pending child delete stays in upper.
import test from 'ava'
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { isUnionMounted } from '../../src/agent/fs/mounts.ts'
import { reclaim } from '../../src/agent/offline/reclaim.ts'
import { agentBundle, cli, flushAll, sandbox, sleep, text, type Sandbox } from './helpers.ts'

const body = (dir: string, i: number) => `${dir}/${i}\n`.repeat((i % 7) + 1)

/** Writes `perDir` files into each of `dirs` through the union (a nested level too). */
function writeTree(sb: Sandbox, dirs: string[], perDir: number): string[] {
  const files: string[] = []
  for (const d of dirs) {
    mkdirSync(join(sb.union, d), { recursive: true })
    for (let i = 0; i < perDir; i++) {
      writeFileSync(join(sb.union, d, `f${i}`), body(d, i))
      files.push(`${d}/f${i}`)
    }
  }
  return files
}

function countUpper(sb: Sandbox, dirs: string[]): number {
  let n = 0
  for (const d of dirs) n += existsSync(join(sb.upper, d)) ? readdirSync(join(sb.upper, d)).length : 0
  return n
}

/** Runs the bundled CLI and SIGKILLs it once `due()` holds (or when it ends by itself). */
async function killWhen(args: string[], due: () => boolean): Promise<'killed' | 'finished'> {
  const bundle = await agentBundle()
  const child = spawn(process.execPath, [bundle, ...args], { stdio: 'ignore' })
  let exited = false
  const gone = new Promise((r) => child.once('exit', () => r((exited = true))))
  while (!exited && !due()) await sleep(1)
  if (exited) return 'finished'
  child.kill('SIGKILL')
  await gone
  return 'killed'
}

function assertAllInGv0(t: import('ava').ExecutionContext, sb: Sandbox, files: string[], when: string): void {
  const missing = files.filter((f) => !existsSync(join(sb.lower, f)))
  t.deepEqual(missing.slice(0, 5), [], `${when}: ${missing.length} of ${files.length} files gone from gv0`)
  const wrong = files.filter((f) => existsSync(join(sb.lower, f)) && text(join(sb.lower, f)) !== body(f.slice(0, f.lastIndexOf('/')), Number(f.slice(f.lastIndexOf('/') + 2))))
  t.deepEqual(wrong.slice(0, 5), [], `${when}: contents intact`)
}

test('SIGKILL at many points of offline prepare and evict: every published file stays in gv0 with its content', async (t) => {
  t.timeout(120_000)
  const sb = await sandbox(t, { settleSeconds: 0.05 })
  const dirs1 = Array.from({ length: 8 }, (_, i) => `set1/d${i}`)
  const files = writeTree(sb, dirs1, 400)
  await sleep(100)
  const a = await sb.agent()
  await flushAll(t, a, 60_000)
  a.saveState()
  assertAllInGv0(t, sb, files, 'after the first flush')
  const cfg = ['--config', sb.configFile]

  // prepare after a "reboot", killed at increasing depths into its reclaim
  sb.umount()
  const total = countUpper(sb, dirs1)
  let kills = 0
  for (const after of [1, 40, 300, 900, 1800, 2600, 3100]) {
    const r = await killWhen(['prepare', ...cfg], () => countUpper(sb, dirs1) <= total - after)
    if (r === 'killed') kills++
    t.log(`prepare killed after ${after} reclaims: ${r}, ${countUpper(sb, dirs1)} left in upper`)
    assertAllInGv0(t, sb, files, `after prepare killed at ${after}`)
  }
  t.true(kills >= 4, `${kills} kills landed inside reclaim`)
  const p = await cli(['prepare', ...cfg])
  t.is(p.code, 0, p.stderr)
  assertAllInGv0(t, sb, files, 'after a full prepare')
  sb.mount()

  // evict cycles (union mounted, no daemon) killed mid-reclaim, each over a fresh published set
  for (const [round, after] of [20, 500, 1500].entries()) {
    const dirs = Array.from({ length: 4 }, (_, i) => `set${round + 2}/d${i}`)
    files.push(...writeTree(sb, dirs, 500))
    await sleep(100)
    const f = await cli(['flush', '--wait', '--timeout', '60', ...cfg])
    t.is(f.code, 0, f.stderr)
    const before = countUpper(sb, dirs)
    const r = await killWhen(['evict', ...cfg], () => countUpper(sb, dirs) <= before - after)
    t.is(r, 'killed', `evict round ${round} killed mid-reclaim`)
    t.false(isUnionMounted(sb.cfg), 'a killed evict leaves the union unmounted')
    assertAllInGv0(t, sb, files, `after evict killed at ${after}`)
    // restart: the union is mounted again (prepare first, as systemd does) and the agent flushes
    const p2 = await cli(['prepare', ...cfg])
    t.is(p2.code, 0, p2.stderr)
    sb.mount()
    const f2 = await cli(['flush', '--wait', '--timeout', '60', ...cfg])
    t.is(f2.code, 0, f2.stderr)
    assertAllInGv0(t, sb, files, `after restart + flush (round ${round})`)
  }
  const wrongInUnion = files.filter((f) => text(join(sb.union, f)) !== body(f.slice(0, f.lastIndexOf('/')), Number(f.slice(f.lastIndexOf('/') + 2))))
  t.deepEqual(wrongInUnion.slice(0, 5), [], 'the union shows every file with its content')
})

test('a reclaimed directory with a pending child delete stays in upper until the delete reached gv0', async (t) => {
  const sb = await sandbox(t, { settleSeconds: 0.05 })
  mkdirSync(join(sb.union, 'proj'))
  writeFileSync(join(sb.union, 'proj/keep.txt'), 'keep')
  writeFileSync(join(sb.union, 'proj/old.txt'), 'deleted here')
  await sleep(100)
  const a = await sb.agent()
  await flushAll(t, a)
  t.is(text(join(sb.lower, 'proj/old.txt')), 'deleted here')
  // the delete overlayfs makes without a whiteout (proj was upper-only when looked up): the name is
  // simply gone from upper (made offline here, so no dentry state of the running kernel matters)
  sb.umount()
  rmSync(join(sb.upper, 'proj/old.txt'))
  await a.rescan()
  t.deepEqual(a.vanished(), ['proj/old.txt'], 'the delete is pending')
  // reclaim before the delete reached gv0 (e.g. gv0 refused it): proj must not be removed from upper
  await reclaim(a)
  t.false(existsSync(join(sb.upper, 'proj/keep.txt')), 'published file reclaimed')
  t.true(existsSync(join(sb.upper, 'proj')), 'directory kept while a delete below it is pending')
  sb.mount()
  t.false(existsSync(join(sb.union, 'proj/old.txt')), 'the deleted file does not show through from gv0')
  t.is(text(join(sb.union, 'proj/keep.txt')), 'keep')
  // once the delete is applied, the next offline reclaim removes the directory
  await flushAll(t, a)
  t.false(existsSync(join(sb.lower, 'proj/old.txt')), 'delete reached gv0')
  sb.umount()
  await reclaim(a)
  t.false(existsSync(join(sb.upper, 'proj')), 'directory reclaimed afterwards')
  sb.mount()
  t.false(existsSync(join(sb.union, 'proj/old.txt')))
  t.is(text(join(sb.union, 'proj/keep.txt')), 'keep')
})
