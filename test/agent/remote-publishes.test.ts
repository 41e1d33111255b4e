// The cue for a dentry drop: the other host's stamp on gv0's root is seen, this host's own is not.
import test from 'ava'
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { othersStamps, RemotePublishes, STAMP_XATTR } from '../../src/agent/watch/remote-publishes.ts'
import { sandbox, sleep, until } from './helpers.ts'

const getfattr = (path: string) => execFileSync('getfattr', ['-d', '--absolute-names', path], { encoding: 'utf8' })

test("the other host's stamp cues a drop once; this host's own stamp and a quiet root do not", async (t) => {
  const root = mkdtempSync('/tmp/gfswc-stamp-')
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  const hydra = new RemotePublishes(root, 'hydra')
  const plexus = new RemotePublishes(root, 'plexus')
  await hydra.look()
  t.false(hydra.takeChange(), 'the first look only records')
  t.true(await plexus.stamp())
  t.regex(execFileSync('getfattr', ['-d', '--absolute-names', root], { encoding: 'utf8' }), new RegExp(`${STAMP_XATTR}\\.plexus="\\d+"`))
  await hydra.look()
  t.true(hydra.takeChange(), "plexus's first stamp is seen")
  t.false(hydra.takeChange(), 'once')
  await hydra.look()
  t.false(hydra.takeChange(), 'nothing new')
  t.true(await hydra.stamp())
  await hydra.look()
  t.false(hydra.takeChange(), "hydra's own stamp is no cue")
  await new Promise((r) => setTimeout(r, 5))
  t.true(await plexus.stamp())
  await hydra.look()
  t.true(hydra.takeChange(), 'the next one of plexus is')
})

test('stamps in getfattr output: the other hosts only, in a fixed order', (t) => {
  const out = `# file: /gfs/gv0\n${STAMP_XATTR}.plexus="17"\n${STAMP_XATTR}.hydra="20"\n${STAMP_XATTR}.arbiter="3"\nuser.other="x"\n`
  t.is(othersStamps(out, 'hydra'), 'arbiter=3 plexus=17')
  t.is(othersStamps('', 'hydra'), '')
})

test('a root that cannot be stamped or read (gone, cut off) is no error, only no cue', async (t) => {
  const gone = new RemotePublishes('/nonexistent/gfswc-root', 'hydra')
  t.false(await gone.stamp())
  await gone.look()
  await gone.look()
  t.false(gone.takeChange())
})

test('a new stamp calls for a drop once at least everyMs after the last, and for a second one everyMs later', async (t) => {
  const root = mkdtempSync('/tmp/gfswc-stamp-')
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  const hydra = new RemotePublishes(root, 'hydra', 2000)
  const plexus = new RemotePublishes(root, 'plexus', 2000)
  await hydra.look()
  t.false(hydra.dropCalled(60_000), 'no stamp, no call')
  t.true(await plexus.stamp())
  await hydra.look()
  t.false(hydra.dropCalled(500), 'too soon after the last drop')
  t.true(hydra.dropCalled(2500), 'called, once the last drop is 2 s old')
  hydra.dropped()
  t.true(hydra.dropCalled(2000), 'the second drop, for dentries that were in use')
  hydra.dropped()
  t.false(hydra.dropCalled(60_000), 'answered')
})

test("noteChanges stamps only when this process's passes changed gv0 since the last stamp", async (t) => {
  const root = mkdtempSync('/tmp/gfswc-stamp-')
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  const stamps = () => execFileSync('getfattr', ['-d', '--absolute-names', root], { encoding: 'utf8' })
  const hydra = new RemotePublishes(root, 'hydra')
  hydra.noteChanges(0, 0)
  await sleep(300)
  t.notRegex(stamps(), /published\.hydra/, 'no change, no stamp')
  hydra.noteChanges(3, 1000)
  await sleep(300)
  t.regex(stamps(), /published\.hydra="\d+"/)
})

test('a stamp that failed is made again later, not forgotten', async (t) => {
  const dir = mkdtempSync('/tmp/gfswc-stamp-')
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const root = join(dir, 'gv0')
  const hydra = new RemotePublishes(root, 'hydra', 2000)
  hydra.noteChanges(1, 0)
  await sleep(300)
  mkdirSync(root)
  hydra.noteChanges(1, 1000)
  await sleep(300)
  t.notRegex(getfattr(root), /published\.hydra/, 'not before everyMs has passed since the failure')
  hydra.noteChanges(1, 2000)
  await sleep(300)
  t.regex(getfattr(root), /published\.hydra="\d+"/)
})

test('the daemon drops at the other host\'s stamp and stamps its own publishes while a pass uploads a large file', async (t) => {
  // no settle time: the daemon's first pass comes within milliseconds of its first look on a quiet machine,
  // and a.txt must be ready in it
  const sb = await sandbox(t, { dentryDropSeconds: 300, bandwidth: '16k', settleSeconds: 0 })
  const dropped = join(sb.dir, 'drop_caches')
  writeFileSync(dropped, '')
  // cached before the daemon starts, so that its first pass holds both: a.txt (the first level) is published,
  // then d/big.bin takes 4 MiB at 16 KiB/s, over four minutes
  mkdirSync(join(sb.union, 'd'))
  writeFileSync(join(sb.union, 'd', 'big.bin'), Buffer.alloc(4 << 20, 1))
  writeFileSync(join(sb.union, 'a.txt'), 'a')
  const { startDaemon } = await import('../../src/agent/service/daemon.ts')
  const d = await startDaemon({ ...sb.cfg, dropCachesFile: dropped }, (l) => t.log(l))
  t.teardown(() => d.stop())
  t.true(await until(() => readFileSync(dropped, 'utf8') !== '', 5000), 'the first drop, at the start')
  writeFileSync(dropped, '')
  t.true(await until(() => existsSync(join(sb.lower, 'a.txt')), 20_000), 'a.txt published')
  t.true(await until(() => /published\.hydra="\d+"/.test(getfattr(sb.lower)), 5000), "hydra stamps before its pass is over")
  t.false(existsSync(join(sb.lower, 'd', 'big.bin')), 'the pass is still uploading big.bin')
  await sleep(2500)
  t.is(readFileSync(dropped, 'utf8'), '', 'no drop without a cue (the interval is 300 s)')
  t.true(await new RemotePublishes(sb.lower, 'plexus').stamp())
  t.true(await until(() => readFileSync(dropped, 'utf8') !== '', 6000), "plexus's stamp brings a drop within seconds")
  t.false(existsSync(join(sb.lower, 'd', 'big.bin')), 'while the same pass goes on')
})

test('a dentry drop is dated when it began: one that takes long may have left a name looked up meanwhile', async (t) => {
  const sb = await sandbox(t, { dentryDropSeconds: 300 })
  // the daemon's first drop writes into a FIFO nobody reads yet: a drop that takes as long as the test says
  const fifo = join(sb.dir, 'drop_caches')
  execFileSync('mkfifo', [fifo])
  const { startDaemon } = await import('../../src/agent/service/daemon.ts')
  // the reader is another process: the write blocks this one (the daemon runs in it) until it reads
  const reader = spawn('sh', ['-c', `sleep 2.5; date +%s%3N; cat ${fifo}`], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  reader.stdout.on('data', (b: Buffer) => (out += b.toString()))
  const read = new Promise((r) => reader.on('close', r))
  const started = Date.now()
  // the first upkeep tick comes a second after the start, and blocks in the write until the FIFO is read
  const d = await startDaemon({ ...sb.cfg, dropCachesFile: fifo }, (l) => t.log(l))
  await read
  const [releasedAt, written] = out.split('\n')
  const released = Number(releasedAt)
  t.is(written, '2')
  await d.stop()
  const saved = JSON.parse(readFileSync(join(sb.cfg.stateDir, 'observed.json'), 'utf8')) as { drops?: number[] }
  // the union's mount counts as a drop too (it comes first); the daemon's drop is the last
  const drop = saved.drops?.at(-1) ?? 0
  t.true(drop >= started, `the daemon's drop is saved: ${JSON.stringify(saved)}`)
  t.true(drop < released - 500, `dated ${released - drop} ms before the drop ended, not at its end`)
})
