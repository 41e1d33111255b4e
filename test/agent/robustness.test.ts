// Crashes, full disks and an unreachable gv0: nothing written through the union is lost or torn.
import test from 'ava'
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startDaemon } from '../../src/agent/service/daemon.ts'
import { agentBundle, cli, forceUmount, onCleanup, sandbox, sleep, text, until, userNames } from './helpers.ts'

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex')

function loopFs(t: { log(...a: unknown[]): void }, dir: string, name: string, sizeMb: number): string {
  const img = join(dir, `${name}.img`)
  const mnt = join(dir, name)
  mkdirSync(mnt, { recursive: true })
  execFileSync('truncate', ['-s', `${sizeMb}M`, img])
  execFileSync('mkfs.ext4', ['-q', '-F', '-m', '0', img])
  // mount -o loop allocates the loop device and frees it again on umount (autoclear)
  execFileSync('mount', ['-o', 'loop', img, mnt])
  t.log(`loop fs ${mnt} (${sizeMb} MiB)`)
  return mnt
}

test('SIGKILL at many points during a large publish: never a partial file at the final name, nothing lost', async (t) => {
  const sb = await sandbox(t, { settleSeconds: 0.05, publishConcurrency: 2 })
  const bundle = await agentBundle()
  const version = (v: number) => {
    const b = Buffer.alloc(64 << 20)
    for (let i = 0; i < b.length; i += 4096) b.writeUInt32LE(i + v, i)
    return b
  }
  const complete = new Set<string>()
  // even rounds: kill a few ms after a temporary appears (mid-copy); odd rounds: at fixed times
  // (catching the rename, the state save and the small files)
  const delays = [0, 140, 5, 200, 10, 260, 20, 320, 30, 400, 45, 550]
  let killedMidCopy = 0
  for (const [k, delay] of delays.entries()) {
    // a new version of the big file and a new batch of small files each round, so every kill hits work
    const big = version(k)
    complete.add(createHash('sha256').update(big).digest('hex'))
    writeFileSync(join(sb.union, 'big.bin'), big)
    mkdirSync(join(sb.union, `small${k}`))
    for (let i = 0; i < 50; i++) writeFileSync(join(sb.union, `small${k}`, `f${i}`), `file ${i}\n`.repeat(i + 1))
    await sleep(60)
    const child = spawn(process.execPath, [bundle, 'run', '--config', sb.configFile], { stdio: 'ignore' })
    if (k % 2 === 0) {
      const hasTemp = () => userNames(sb.lower).some((n) => n.startsWith('.gfs-writecache.tmp.'))
      await until(hasTemp, 5000, 1)
      await sleep(delay)
    } else await sleep(delay)
    child.kill('SIGKILL')
    await new Promise((r) => child.once('exit', r))
    const temps = userNames(sb.lower).filter((n) => n.startsWith('.gfs-writecache.tmp.')).length
    killedMidCopy += temps
    const bigState = existsSync(join(sb.lower, 'big.bin')) ? sha(join(sb.lower, 'big.bin')) : null
    t.log(`kill ${k % 2 === 0 ? `${delay} ms after a temp appeared` : `at ${delay} ms`}: big.bin ${bigState === null ? 'absent' : complete.has(bigState) ? 'complete' : 'TORN'}, ${temps} temp(s)`)
    if (bigState !== null) t.true(complete.has(bigState), `big.bin is a complete version after kill ${k}`)
    for (let j = 0; j <= k; j++) {
      if (!existsSync(join(sb.lower, `small${j}`))) continue
      for (const n of readdirSync(join(sb.lower, `small${j}`))) {
        if (n.startsWith('.gfs-writecache.tmp.')) continue
        const i = Number(n.slice(1))
        t.is(text(join(sb.lower, `small${j}`, n)), `file ${i}\n`.repeat(i + 1), `complete small${j}/${n} after kill ${k}`)
      }
    }
    const stateFile = join(sb.cfg.stateDir, 'state.json')
    if (existsSync(stateFile)) t.notThrows(() => JSON.parse(readFileSync(stateFile, 'latin1')), 'state never torn')
  }
  t.true(killedMidCopy > 0, 'at least one kill landed in the middle of a copy')
  const r = await cli(['flush', '--wait', '--timeout', '60', '--config', sb.configFile])
  t.is(r.code, 0, r.stderr)
  t.is(sha(join(sb.lower, 'big.bin')), createHash('sha256').update(version(delays.length - 1)).digest('hex'))
  for (let k = 0; k < delays.length; k++) {
    for (let i = 0; i < 50; i++) t.is(text(join(sb.lower, `small${k}`, `f${i}`)), `file ${i}\n`.repeat(i + 1))
  }
  const left = userNames(sb.lower).filter((n) => n.startsWith('.gfs-writecache.tmp.'))
  t.deepEqual(left, [], 'stale temporaries removed at start')
  t.deepEqual(userNames(sb.lower).filter((n) => n.includes('.conflict-')), [], 'a crash never turns our own publish into a conflict')
})

test('reboot with unflushed data: prepare publishes and reclaims before the union is mounted again', async (t) => {
  const sb = await sandbox(t, {}, { mount: false })
  // in gv0 before the union was mounted: the union's delete surely saw it (no agent ran to drop dentries)
  writeFileSync(join(sb.lower, 'gone-soon'), 'x')
  sb.mount()
  mkdirSync(join(sb.union, 'work'))
  writeFileSync(join(sb.union, 'work/unflushed.txt'), 'written just before the power cut')
  rmSync(join(sb.union, 'gone-soon'))
  // a stale temporary from a crashed publish
  writeFileSync(join(sb.lower, '.gfs-writecache.tmp.hydra.0123456789abcdef.99999'), 'partial')
  const refused = await cli(['prepare', '--config', sb.configFile])
  t.is(refused.code, 1)
  t.regex(refused.stderr, /is mounted/)
  t.true(existsSync(join(sb.upper, 'work/unflushed.txt')), 'upper untouched while mounted')
  sb.umount() // the reboot: the union is gone, upper and gv0 stay
  const r = await cli(['prepare', '--config', sb.configFile])
  t.is(r.code, 0, r.stderr)
  t.regex(r.stdout, /prepare: published \d+, reclaimed \d+/)
  t.is(text(join(sb.lower, 'work/unflushed.txt')), 'written just before the power cut')
  t.false(existsSync(join(sb.lower, 'gone-soon')))
  t.false(existsSync(join(sb.lower, '.gfs-writecache.tmp.hydra.0123456789abcdef.99999')))
  t.deepEqual(userNames(sb.upper), [], 'published entries reclaimed')
  const m = await cli(['mount-union', '--config', sb.configFile])
  t.is(m.code, 0, m.stderr)
  t.is(text(join(sb.union, 'work/unflushed.txt')), 'written just before the power cut')
  t.false(existsSync(join(sb.union, 'gone-soon')))
})

test('ENOSPC in gv0: no partial file, error reported, the daemon keeps going and drains once space returns', async (t) => {
  const sb = await sandbox(t, { settleSeconds: 0.1 }, { mount: false })
  const brick = loopFs(t, sb.dir, 'gv0fs', 24)
  onCleanup(sb, () => forceUmount(brick))
  execFileSync('mount', ['--bind', brick, sb.lower])
  onCleanup(sb, () => forceUmount(sb.lower))
  sb.mount()
  writeFileSync(join(sb.lower, 'filler'), Buffer.alloc(14 << 20, 1))
  const payload = Buffer.alloc(12 << 20)
  for (let i = 0; i < payload.length; i += 512) payload.writeUInt32LE(i, i)
  writeFileSync(join(sb.union, 'video.mkv'), payload)
  const d = await startDaemon(sb.cfg, (l) => t.log(l))
  t.teardown(() => d.stop())
  t.true(await until(async () => (await d.agent.status()).errors.some((e) => /ENOSPC/.test(e.message)), 20_000), 'ENOSPC reported')
  const s = await d.agent.status()
  t.true(s.running)
  t.is(s.pending.entries, 1)
  t.false(existsSync(join(sb.lower, 'video.mkv')), 'nothing at the final name')
  t.deepEqual(userNames(sb.lower).filter((n) => n.startsWith('.gfs-writecache.tmp.')), [], 'temp removed')
  writeFileSync(join(sb.union, 'after.txt'), 'union keeps taking writes')
  rmSync(join(sb.lower, 'filler')) // the other host frees space
  const drained = async () =>
    existsSync(join(sb.lower, 'after.txt')) && existsSync(join(sb.lower, 'video.mkv')) && (await d.agent.status()).pending.entries === 0
  t.true(await until(drained, 10_000), 'backlog drained')
  t.true(readFileSync(join(sb.lower, 'video.mkv')).equals(payload))
  t.is(text(join(sb.lower, 'after.txt')), 'union keeps taking writes')
  t.deepEqual((await d.agent.status()).errors, [])
})

test('ENOSPC on the cache disk: writers see it, the agent survives and an evict makes room again', async (t) => {
  const sb = await sandbox(t, {}, { mount: false })
  const cache = loopFs(t, sb.dir, 'cache', 24)
  onCleanup(sb, () => forceUmount(cache))
  for (const d of ['upper', 'work', 'state']) mkdirSync(join(cache, d))
  const cfg = { ...sb.cfg, upper: join(cache, 'upper'), work: join(cache, 'work'), stateDir: join(cache, 'state'), settleSeconds: 0.1 }
  execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${sb.lower},upperdir=${cfg.upper},workdir=${cfg.work},redirect_dir=off,index=off,metacopy=off,xino=off`, sb.union])
  const d = await startDaemon(cfg, (l) => t.log(l))
  t.teardown(() => d.stop())
  let written = 0
  let failure = ''
  for (let i = 0; i < 40 && !failure; i++) {
    try {
      writeFileSync(join(sb.union, `chunk${i}`), Buffer.alloc(1 << 20, i))
      written++
    } catch (err) {
      failure = (err as NodeJS.ErrnoException).code ?? ''
    }
  }
  t.is(failure, 'ENOSPC', 'the cache disk filled up')
  t.true(await until(async () => {
    const s = await d.agent.status()
    return s.pending.entries <= 1
  }, 10_000), 'what fit was published')
  t.true(d.agent.running)
  // the partially written chunk is still being published or is done; evict clears the cache
  const { evictCycle } = await import('../../src/agent/offline/evict.ts')
  const r = await evictCycle(d.agent)
  t.true(r.ok, r.message)
  t.true(d.agent.cacheUsedPercent() < 50, `cache use after evict: ${d.agent.cacheUsedPercent()}`)
  writeFileSync(join(sb.union, 'after-evict'), Buffer.alloc(4 << 20, 9))
  for (let i = 0; i < written; i++) t.true(readFileSync(join(sb.union, `chunk${i}`)).equals(Buffer.alloc(1 << 20, i)), `chunk${i}`)
  t.true(await until(async () => existsSync(join(sb.lower, 'after-evict')), 5000))
  for (let i = 0; i < written; i++) t.true(readFileSync(join(sb.lower, `chunk${i}`)).equals(Buffer.alloc(1 << 20, i)))
})

test('gv0 read-only or unmounted: writes pile up in the cache, nothing lands in the bare mount point, the backlog drains after', async (t) => {
  const sb = await sandbox(t, { settleSeconds: 0.1, requireLowerMount: true }, { mount: false })
  const brick = join(sb.dir, 'brick')
  mkdirSync(brick)
  execFileSync('mount', ['--bind', brick, sb.lower])
  onCleanup(sb, () => forceUmount(sb.lower))
  sb.mount()
  const d = await startDaemon(sb.cfg, (l) => t.log(l))
  t.teardown(() => d.stop())
  writeFileSync(join(sb.union, 'before'), 'published normally')
  t.true(await until(() => existsSync(join(brick, 'before')), 15_000))

  execFileSync('mount', ['-o', 'remount,ro,bind', sb.lower])
  writeFileSync(join(sb.union, 'during-ro'), 'waits for gv0')
  t.true(await until(async () => (await d.agent.status()).errors.some((e) => /EROFS/.test(e.message)), 5000), 'EROFS reported')
  t.false(existsSync(join(brick, 'during-ro')))
  execFileSync('mount', ['-o', 'remount,rw,bind', sb.lower])
  t.true(await until(() => existsSync(join(brick, 'during-ro')), 5000), 'drained after gv0 came back')

  // gv0's mount disappears (FUSE client died): the agent must not write into the bare directory
  // a pass still finishing holds directory handles on gv0 for a moment: umount answers EBUSY until it ends
  let um = spawnSync('umount', [sb.lower], { encoding: 'utf8' })
  for (let i = 0; i < 40 && um.status !== 0 && /busy/.test(um.stderr); i++) {
    await sleep(50)
    um = spawnSync('umount', [sb.lower], { encoding: 'utf8' })
  }
  t.is(um.status, 0, um.stderr)
  writeFileSync(join(sb.union, 'during-down'), 'waits for the mount')
  t.true(await until(async () => (await d.agent.status()).lower.problem !== null, 5000))
  await sleep(500)
  t.deepEqual(userNames(sb.lower), [], 'nothing published into the unmounted mount point')
  t.true((await d.agent.status()).pending.entries >= 1)
  execFileSync('mount', ['--bind', brick, sb.lower])
  t.true(await until(() => existsSync(join(brick, 'during-down')), 5000), 'drained after the mount came back')
  t.is(text(join(brick, 'during-down')), 'waits for the mount')
  t.is(text(join(sb.union, 'during-down')), 'waits for the mount')
  t.true(await until(async () => (await d.agent.status()).errors.length === 0, 3000), 'errors clear once gv0 is back')
})
