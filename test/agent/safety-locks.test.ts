// The state lock: exactly one taker wins a stale lock, and a daemon started while an offline command
// holds it waits for it instead of exiting (and being restarted by systemd in a loop). The union
// mount: a failed remount after evict is retried.
import test from 'ava'
import { spawn } from 'node:child_process'
import { build } from 'esbuild'
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { startDaemon } from '../../src/agent/service/daemon.ts'
import { evictCycle } from '../../src/agent/offline/evict.ts'
import { isUnionMounted } from '../../src/agent/fs/mounts.ts'
import { agentBundle, cli, sandbox, sleep, until } from './helpers.ts'

let bundledLock: Promise<string> | null = null

/** lock.ts as one plain module, so racing takers start in milliseconds (no TypeScript loader). */
function lockBundle(): Promise<string> {
  bundledLock ??= (async () => {
    const dir = mkdtempSync('/tmp/gfswc-lockmod-')
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
    const out = join(dir, 'lock.mjs')
    await build({ entryPoints: [resolve('src/agent/service/lock.ts')], bundle: true, platform: 'node', format: 'esm', outfile: out, logLevel: 'silent' })
    return out
  })()
  return bundledLock
}

/**
 * A taker racing the others for `rounds` rounds, each starting at the same instant. A winner holds the
 * lock 40 ms and then "dies" (its lock is left behind naming a dead process), so every round starts
 * from a stale lock. Prints the hold intervals it had.
 */
const taker = (lock: string, dir: string, base: number, rounds: number) => `
import { acquireLock } from ${JSON.stringify(lock)}
import { writeFileSync, readFileSync } from 'node:fs'
const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()
const held = []
for (let round = 0; round < ${rounds}; round++) {
  const startAt = ${base} + round * 120
  while (Date.now() < startAt - 3) await new Promise((r) => setTimeout(r, 1))
  while (Date.now() < startAt) {}
  try {
    acquireLock(${JSON.stringify(dir)})
    const from = performance.timeOrigin + performance.now()
    while (performance.timeOrigin + performance.now() < from + 40) {}
    held.push([round, from, performance.timeOrigin + performance.now()])
    writeFileSync(${JSON.stringify(join(dir, 'agent.lock'))}, '4000000 ' + boot + ' 1\\n')
  } catch (err) {
    if (err.name !== 'LockHeldError') held.push(['error', err.message])
  }
}
console.log(JSON.stringify(held))
`

function run(script: string, file: string): Promise<string> {
  writeFileSync(file, script)
  return new Promise((r) => {
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (b: Buffer) => (out += b.toString()))
    child.once('exit', () => r(out.trim()))
  })
}

test('takers racing for a stale lock: never two hold it at once', async (t) => {
  const dir = mkdtempSync('/tmp/gfswc-lock-')
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const lock = await lockBundle()
  const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()
  writeFileSync(join(dir, 'agent.lock'), `4000000 ${boot} 1\n`) // left by a holder that died
  const rounds = 60
  const base = Date.now() + 1500
  const outs = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map((i) => run(taker(lock, dir, base, rounds), join(dir, `taker${i}.mjs`))))
  const held = outs.flatMap((o) => JSON.parse(o) as [number | string, number, number][])
  t.deepEqual(held.filter((h) => h[0] === 'error'), [], 'no taker failed otherwise')
  // a starved taker may win a round late, after the round's first winner left: only overlapping
  // holds count (1 ms of slack for the clocks of different processes)
  const spans = outs.flatMap((o, p) => (JSON.parse(o) as [number, number, number][]).map(([, from, to]) => ({ p, from, to })))
  const overlaps = spans.filter((a, i) => spans.some((b, j) => j > i && a.p !== b.p && a.from < b.to - 1 && b.from < a.to - 1))
  t.log(`${spans.length} holds in ${rounds} rounds; overlapping: ${overlaps.length}`)
  t.true(spans.length >= rounds / 2, 'the stale lock was taken over in most rounds')
  t.deepEqual(overlaps, [], 'holds of two takers at the same time')
})

test('a daemon started while an offline flush holds the lock waits for it, then runs', async (t) => {
  const sb = await sandbox(t, { settleSeconds: 0.1 })
  const dir = mkdtempSync('/tmp/gfswc-lockholder-')
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  // stands in for `flush --wait` run without a daemon: holds the lock until the test lets go
  const lock = await lockBundle()
  const letGo = join(dir, 'let-go')
  const holderScript = `import { acquireLock } from ${JSON.stringify(lock)}
import { existsSync } from 'node:fs'
const release = acquireLock(${JSON.stringify(sb.cfg.stateDir)})
while (!existsSync(${JSON.stringify(letGo)})) await new Promise((r) => setTimeout(r, 50))
release()
console.log('released')
`
  const holder = run(holderScript, join(dir, 'holder.mjs'))
  t.true(await until(() => existsSync(join(sb.cfg.stateDir, 'agent.lock')), 10_000), 'the holder has the lock')
  const bundle = await agentBundle()
  const daemon = spawn(process.execPath, [bundle, 'run', '--config', sb.configFile], { stdio: ['ignore', 'ignore', 'pipe'] })
  let log = ''
  daemon.stderr.on('data', (b: Buffer) => (log += b.toString()))
  let exitCode: number | null | undefined
  daemon.once('exit', (code) => (exitCode = code))
  t.teardown(() => daemon.kill('SIGKILL'))
  t.true(await until(() => /waiting/.test(log), 20_000), `says that it waits: ${log}`)
  await sleep(1500)
  t.is(exitCode, undefined, `the daemon is still there while the lock is held: ${log}`)
  t.is((log.match(/waiting/g) ?? []).length, 1, `said once that it waits: ${log}`)
  writeFileSync(letGo, '')
  t.is(await holder, 'released')
  t.true(await until(() => existsSync(sb.cfg.socket), 10_000), 'the daemon serves once the lock is free')
  writeFileSync(join(sb.union, 'after.txt'), 'published by the daemon')
  const f = await cli(['flush', '--wait', '--timeout', '20', '--config', sb.configFile])
  t.is(f.code, 0, f.stderr)
  t.is(readFileSync(join(sb.lower, 'after.txt'), 'utf8'), 'published by the daemon')
  daemon.kill('SIGTERM')
  await until(() => exitCode !== undefined, 10_000)
  t.is(exitCode, 0, log)
})

test('a failed remount after evict is reported and retried by the daemon until the union is mounted', async (t) => {
  const sb = await sandbox(t, { settleSeconds: 0.1 })
  const d = await startDaemon(sb.cfg, (l) => t.log(l))
  t.teardown(() => d.stop())
  writeFileSync(join(sb.union, 'kept.txt'), 'in gv0')
  t.true(await until(() => existsSync(join(sb.lower, 'kept.txt')), 10_000))
  // the work dir goes missing while the union is down: mount fails until it is back
  renameSync(sb.cfg.work, `${sb.cfg.work}.away`)
  const r = await evictCycle(d.agent)
  t.true(r.ok)
  t.false(isUnionMounted(sb.cfg), 'the remount failed')
  const s = await d.agent.status()
  t.true(s.errors.some((e) => /NOT mounted/.test(e.message)), 'reported in status')
  await sleep(2500)
  t.false(isUnionMounted(sb.cfg))
  renameSync(`${sb.cfg.work}.away`, sb.cfg.work)
  t.true(await until(() => isUnionMounted(sb.cfg), 10_000), 'the daemon mounted it again')
  t.is(readFileSync(join(sb.union, 'kept.txt'), 'utf8'), 'in gv0')
  t.true(await until(async () => !(await d.agent.status()).errors.some((e) => /NOT mounted/.test(e.message)), 5000), 'error cleared')
})
