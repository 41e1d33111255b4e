// union_lower brick on real overlay mounts, with a fake brick: gluster's internal entries at its root,
// trusted.* xattrs on its files and gfid hard links, a gv0 stand-in the agent publishes into, and the
// brick's verdict stood in for gluster's answer.
import test from 'ava'
import { execFileSync } from 'node:child_process'
import { closeSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { brickHealth, type BrickVerdict } from '../../src/agent/fs/brick-health.ts'
import { isUnionMounted, lowerProblem, mountUnion } from '../../src/agent/fs/mounts.ts'
import { evictCycle } from '../../src/agent/offline/evict.ts'
import { checkUnionLower } from '../../src/agent/offline/relower.ts'
import { flushAll, forceUmount, onCleanup, sandbox, text, type Sandbox, userNames } from './helpers.ts'

const UUID = '0a9e1d4c-3b7f-4e62-9c11-5d2b8f0e7a34'
let verdict: BrickVerdict = { current: true, reason: 'current (test)' }
/** how long gluster takes to answer: glfsheal waits out its connects while a peer is away */
let answerMs = 0
brickHealth.check = async () => {
  if (answerMs) await new Promise((r) => setTimeout(r, answerMs))
  return verdict
}

function xattrs(path: string): Record<string, string> {
  const out = execFileSync('getfattr', ['-d', '-m', '-', '-e', 'hex', '--absolute-names', path], { encoding: 'utf8' })
  return Object.fromEntries(out.split('\n').filter((l) => l.includes('=')).map((l) => l.split('=') as [string, string]))
}

const setx = (path: string, name: string, hex: string) => execFileSync('setfattr', ['-n', name, '-v', `0x${hex}`, path])

/** gluster's on-disk mdata: version 1, flags, ctime, mtime, atime (s, ns), big-endian. */
function mdataHex(ctimeMs: number, mtimeMs: number): string {
  const b = Buffer.alloc(57)
  b[0] = 1
  const put = (off: number, ms: number) => {
    b.writeBigInt64BE(BigInt(Math.floor(ms / 1000)), off)
    b.writeBigInt64BE(BigInt(Math.round((ms % 1000) * 1e6)), off + 8)
  }
  put(9, ctimeMs)
  put(25, mtimeMs)
  put(41, mtimeMs)
  return b.toString('hex')
}

/** A gfid whose last 8 bytes are `ino`, so gluster's FUSE mount would report that inode number. */
function gfidHex(ino: number): string {
  const b = Buffer.alloc(16, 0x5a)
  b.writeBigUInt64BE(BigInt(ino), 8)
  return b.toString('hex')
}

/**
 * The brick holds what gv0 (the stand-in `lower`) holds, plus gluster's own entries; each brick file
 * carries the gfid of the gv0 file (its inode number, as gluster's FUSE mount derives it) and a gfid link.
 */
async function brickBox(t: import('ava').ExecutionContext): Promise<Sandbox & { brick: string; bind: string }> {
  const sb0 = await sandbox(t, {}, { mount: false })
  const brick = join(sb0.dir, 'brick')
  const bind = join(sb0.dir, 'lowerbind')
  const sb = await sandbox(t, { unionLower: 'brick', brick, volume: 'gv0', lowerBind: bind }, { mount: false })
  onCleanup(sb, () => forceUmount(bind))
  mkdirSync(join(brick, '.glusterfs', 'ab', 'cd'), { recursive: true })
  mkdirSync(join(brick, `.glusterfs-anonymous-inode-${UUID}`))
  mkdirSync(join(brick, 'docs'))
  mkdirSync(join(sb.lower, 'docs'))
  for (const [rel, body] of [['docs/a.txt', 'gv0 a\n'], ['docs/b.txt', 'gv0 b\n'], ['top.txt', 'gv0 top\n']]) {
    writeFileSync(join(sb.lower, rel), body)
    writeFileSync(join(brick, rel), body)
    const g = statSync(join(sb.lower, rel))
    setx(join(brick, rel), 'trusted.gfid', gfidHex(g.ino))
    setx(join(brick, rel), 'trusted.glusterfs.mdata', mdataHex(g.ctimeMs, g.mtimeMs))
    setx(join(brick, rel), 'trusted.afr.dirty', '000000000000000000000000')
    setx(join(brick, rel), 'user.note', Buffer.from('kept').toString('hex'))
    linkSync(join(brick, rel), join(brick, '.glusterfs', 'ab', 'cd', rel.replace('/', '_')))
  }
  setx(join(brick, 'docs'), 'trusted.gfid', gfidHex(statSync(join(sb.lower, 'docs')).ino))
  return Object.assign(sb, { brick, bind })
}

test.serial('brick lower: gluster internals never show in the union, are never published nor reclaimed; trusted.* stays in the cache', async (t) => {
  verdict = { current: true, reason: 'current (test)' }
  const sb = await brickBox(t)
  await mountUnion(sb.cfg)
  t.true(isUnionMounted(sb.cfg))
  t.deepEqual(readdirSync(sb.union).sort(), ['docs', 'top.txt'], 'the union root shows the volume, not .glusterfs*')
  t.is(text(join(sb.union, 'docs/a.txt')), 'gv0 a\n', 'reads come from the brick')
  t.throws(() => writeFileSync(join(sb.bind, 'x'), 'x'), { code: 'EROFS' }, 'the brick is bound read-only')
  t.is(lstatSync(join(sb.union, 'docs/a.txt')).nlink, 2, "the union shows the brick's link count (the gfid link)")
  const agent = await sb.agent()
  t.is((await agent.status()).unionLower.lower, 'brick')
  // a copy-up (append), a new file, and a hard-link pair made through the union
  writeFileSync(join(sb.union, 'docs/a.txt'), 'local a\n', { flag: 'a' })
  writeFileSync(join(sb.union, 'docs/new.txt'), 'new\n')
  linkSync(join(sb.union, 'docs/new.txt'), join(sb.union, 'docs/new-link.txt'))
  mkdirSync(join(sb.lower, '.glusterfs'))
  await flushAll(t, agent)
  t.is(text(join(sb.lower, 'docs/a.txt')), 'gv0 a\nlocal a\n', 'the copy-up is published over the version it was copied from')
  t.deepEqual(readdirSync(sb.lower, 'utf8').filter((n) => n.includes('conflict')), [])
  t.is(statSync(join(sb.lower, 'docs/a.txt')).nlink, 1, "the brick's gfid link made no hard link in gv0")
  t.is(statSync(join(sb.lower, 'docs/new.txt')).ino, statSync(join(sb.lower, 'docs/new-link.txt')).ino, 'a hard link made here stays one')
  const published = xattrs(join(sb.lower, 'docs/a.txt'))
  t.deepEqual(Object.keys(published).filter((k) => k.startsWith('trusted.')), [], 'no trusted.* xattr reaches gv0')
  t.is(published['user.note'], Buffer.from('kept').toString('hex').replace(/^/, '0x'))
  t.true(Object.keys(xattrs(join(sb.upper, 'docs/a.txt'))).includes('trusted.gfid'), 'overlayfs copied trusted.* up (the case under test)')
  t.true(statSync(join(sb.lower, '.glusterfs')).isDirectory(), 'the whiteout hiding .glusterfs is never published as a delete')
  t.is(agent.pending().entries, 0)
  const r = await evictCycle(agent)
  t.true(r.ok, r.message)
  for (const name of ['.glusterfs', `.glusterfs-anonymous-inode-${UUID}`]) {
    t.true(lstatSync(join(sb.upper, name)).isCharacterDevice(), `${name}: its whiteout survives an evict`)
  }
  t.deepEqual(readdirSync(sb.union).sort(), ['docs', 'top.txt'], 'the union mounted again still hides them')
  // reclaimed: the stand-in brick is no replica of the stand-in gv0, so the file is looked for in gv0
  t.is(text(join(sb.lower, 'docs/new-link.txt')), 'new\n')
})

test.serial('brick lower: a copy-up of a version gv0 no longer holds (stale brick dentry, other gfid or ctime) is kept as a conflict copy', async (t) => {
  verdict = { current: true, reason: 'current (test)' }
  const sb = await brickBox(t)
  await mountUnion(sb.cfg)
  const agent = await sb.agent()
  // the other host replaced top.txt (new gfid) and rewrote docs/b.txt in place (new ctime) in gv0
  writeFileSync(join(sb.lower, 'top.txt.new'), 'remote top\n')
  execFileSync('mv', [join(sb.lower, 'top.txt.new'), join(sb.lower, 'top.txt')])
  await new Promise((r) => setTimeout(r, 20))
  writeFileSync(join(sb.lower, 'docs/b.txt'), 'remote b\n')
  await new Promise((r) => setTimeout(r, 20))
  writeFileSync(join(sb.union, 'top.txt'), 'local top\n', { flag: 'a' })
  writeFileSync(join(sb.union, 'docs/b.txt'), 'local b\n', { flag: 'a' })
  await flushAll(t, agent)
  t.is(text(join(sb.lower, 'top.txt')), 'remote top\n', "the other host's replacement stays")
  t.is(text(join(sb.lower, 'docs/b.txt')), 'remote b\n', "the other host's rewrite stays")
  const copies = [...userNames(sb.lower), ...readdirSync(join(sb.lower, 'docs'))].filter((n) => n.includes('.conflict-hydra-'))
  t.is(copies.length, 2, copies.join(', '))
})

test.serial('brick lower: a brick that is not current is not used; the daemon check moves the union both ways, keeping every cached file', async (t) => {
  verdict = { current: false, reason: '3 entries pending heal on plexus:/data/brick1/gv0' }
  const sb = await brickBox(t)
  await mountUnion(sb.cfg)
  const agent = await sb.agent()
  let s = await agent.status()
  t.is(s.unionLower.lower, 'gv0')
  t.regex(s.unionLower.reason, /brick not used: 3 entries pending heal/)
  writeFileSync(join(sb.union, 'docs/cached.txt'), 'cached\n')
  verdict = { current: true, reason: 'current (test)' }
  await checkUnionLower(agent, (l) => t.log(l))
  s = await agent.status()
  t.is(s.unionLower.lower, 'brick', 'a current brick takes the union back')
  t.deepEqual(readdirSync(sb.union).sort(), ['docs', 'top.txt'])
  t.is(text(join(sb.union, 'docs/cached.txt')), 'cached\n', 'the cached file is still there')
  // the brick falls behind while a process holds the union: publishing pauses, status says why
  verdict = { current: false, reason: 'brick plexus:/data/brick1/gv0 is not online' }
  const fd = openSync(join(sb.union, 'docs/a.txt'), 'r')
  try {
    await checkUnionLower(agent, (l) => t.log(l))
    t.is((await agent.status()).unionLower.lower, 'brick')
    t.regex((await lowerProblem(sb.cfg)) ?? '', /not current .*not online.*publishing paused/)
    const sum = await agent.pass({ settleMs: 0 })
    t.truthy(sum.blocked, 'nothing is published from a brick that is not current')
    t.false(readdirSync(join(sb.lower, 'docs')).includes('cached.txt'))
  } finally {
    closeSync(fd)
  }
  await checkUnionLower(agent, (l) => t.log(l))
  s = await agent.status()
  t.is(s.unionLower.lower, 'gv0', 'once nothing holds the union it moves to gv0')
  t.is(await lowerProblem(sb.cfg), null)
  await flushAll(t, agent)
  t.is(text(join(sb.lower, 'docs/cached.txt')), 'cached\n')
})

/** Samples whether the union is mounted until stopped; the longest stretch it was not, in ms. */
function downWatch(sb: Sandbox): { stop(): number } {
  let longest = 0
  let downSince: number | null = null
  const timer = setInterval(() => {
    const now = performance.now()
    if (!isUnionMounted(sb.cfg)) downSince ??= now
    else if (downSince !== null) {
      longest = Math.max(longest, now - downSince)
      downSince = null
    }
  }, 5)
  return {
    stop() {
      clearInterval(timer)
      return downSince === null ? longest : Math.max(longest, performance.now() - downSince)
    },
  }
}

test.serial("brick lower: moving the union and an evict keep it down only for the umount and mount, never while gluster answers", async (t) => {
  verdict = { current: true, reason: 'current (test)' }
  answerMs = 0
  const sb = await brickBox(t)
  await mountUnion(sb.cfg)
  const agent = await sb.agent()
  writeFileSync(join(sb.union, 'docs/cached.txt'), 'cached\n')
  t.teardown(() => (answerMs = 0))
  answerMs = 6000
  verdict = { current: false, reason: 'brick plexus:/data/brick1/gv0 is not online or not connected' }
  let watch = downWatch(sb)
  await checkUnionLower(agent, (l) => t.log(l))
  let down = watch.stop()
  t.is((await agent.status()).unionLower.lower, 'gv0')
  t.true(down < 2000, `moving to gv0: the union was down for ${down.toFixed(0)} ms, gluster answers in ${answerMs} ms`)
  verdict = { current: true, reason: 'current (test)' }
  watch = downWatch(sb)
  const r = await evictCycle(agent)
  down = watch.stop()
  t.true(r.ok, r.message)
  t.is((await agent.status()).unionLower.lower, 'brick', 'the evict mounted it on the brick, current again')
  // down while it merges, as any evict; not also while gluster answers
  t.true(down < 5000, `evict: the union was down for ${down.toFixed(0)} ms, gluster answers in ${answerMs} ms`)
  // (the fake brick is no replica of the stand-in: the file is in gv0, not on it)
  t.is(text(join(sb.lower, 'docs/cached.txt')), 'cached\n', 'the evict published it')
})
