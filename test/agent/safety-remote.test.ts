// The other host's changes on a real overlay: the other host is simulated by writing to the lower dir
// while the union is mounted. Nothing it wrote may be overwritten, reverted or deleted by this host
// unless the union showed it here first, and nothing written here may stall or get lost.
import test from 'ava'
import { execFileSync } from 'node:child_process'
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { evictCycle } from '../../src/agent/offline/evict.ts'
import { DentryDrops } from '../../src/agent/publish/no-clobber.ts'
import { agentDefaults } from '../../src/agent/service/defaults.ts'
import { aclValue, flushAll, missingIn, sandbox, sleep, text, userNames, whileLookupStale } from './helpers.ts'

const xattrs = (path: string) => execFileSync('getfattr', ['-d', '-m', '-', '--absolute-names', path], { encoding: 'utf8' })
/** The ACL xattrs of a path, hex-encoded, as getfattr prints them. */
const acls = (path: string) =>
  execFileSync('getfattr', ['-d', '-m', '^system\\.posix_acl_', '-e', 'hex', '--absolute-names', path], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.startsWith('system.posix_acl_'))

const [USER_OBJ, USER, GROUP_OBJ, MASK, OTHER] = [0x01, 0x02, 0x04, 0x10, 0x20]
const userAcl = aclValue([USER_OBJ, 7], [USER, 5, 1234], [GROUP_OBJ, 5], [MASK, 5], [OTHER, 5])
const conflictsIn = (dir: string, stem: string) => readdirSync(dir).filter((n) => n.startsWith(`${stem}.conflict-hydra-`)).sort()
const reported = (agent: { conflicts(): { kind: string; path: string }[] }) =>
  agent.conflicts().map((c) => `${c.kind} ${c.path}`).sort()

test('a stale negative dentry: a name the other host created is never overwritten by a create here', (t) =>
  whileLookupStale(t, async () => {
    const sb = await sandbox(t)
    writeFileSync(join(sb.lower, 'seen.txt'), 'gv0 before')
    const agent = await sb.agent()
    // looked up while missing: the union caches "no such name"
    t.throws(() => readFileSync(join(sb.union, 'new.txt')), { code: 'ENOENT' })
    writeFileSync(join(sb.lower, 'new.txt'), 'theirs') // the other host creates it in gv0
    if (!missingIn(join(sb.union, 'new.txt'))) return false // the union shows it: no stale lookup to test
    writeFileSync(join(sb.union, 'new.txt'), 'mine')
    t.is(text(join(sb.union, 'new.txt')), 'mine')
    // a copy-up of a name the union did show is an ordinary update of it, not a conflict
    writeFileSync(join(sb.union, 'seen.txt'), 'updated here')
    await flushAll(t, agent)
    t.is(text(join(sb.lower, 'new.txt')), 'theirs', "the other host's file stays at its name")
    const copies = conflictsIn(sb.lower, 'new')
    t.is(copies.length, 1, 'the local one is kept as a conflict copy')
    t.regex(copies[0], /^new\.conflict-hydra-\d{8}T\d{6}Z\.txt$/)
    t.is(text(join(sb.lower, copies[0])), 'mine')
    t.is(text(join(sb.lower, 'seen.txt')), 'updated here')
    t.deepEqual(conflictsIn(sb.lower, 'seen'), [])
    t.deepEqual(reported(agent), ['modified-both new.txt'])
    // later local versions follow the conflict copy; gv0's name keeps the other host's file
    writeFileSync(join(sb.union, 'new.txt'), 'mine, again')
    await flushAll(t, agent)
    t.is(text(join(sb.lower, 'new.txt')), 'theirs')
    t.is(text(join(sb.lower, copies[0])), 'mine, again')
    return true
  }))

test('a negative dentry is stale for at most the time since the last drop before the entry was made', (t) => {
  const drops = new DentryDrops(agentDefaults.clockSkewSeconds * 1000)
  t.is(drops.staleMs(5_000), Infinity, 'no drop seen: no bound')
  drops.note(10_000)
  drops.note(40_000)
  t.is(drops.staleMs(9_000), Infinity, 'made before the first drop this agent saw')
  t.is(drops.staleMs(25_000), 15_000 + 10_000, 'since the drop at 10 s, plus clock skew')
  t.is(drops.staleMs(40_000), 10_000)
  t.is(drops.staleMs(100_000), 60_000 + 10_000, 'a pass that held drops back widens the window')
})

test('a drop that held names back does not count for names below the same top-level directory, nor after a restart', (t) => {
  const drops = new DentryDrops(0)
  drops.note(10_000)
  drops.note(40_000, new Set(['photos/2024/a.jpg', 'notes.txt']))
  t.is(drops.staleMs(50_000, 'photos/2024/a.jpg'), 40_000, 'the held name: back to the drop before')
  t.is(drops.staleMs(50_000, 'photos/other/b.jpg'), 40_000, 'below the same top-level directory (it may be one the other host replaced)')
  t.is(drops.staleMs(50_000, 'notes.txt'), 40_000)
  t.is(drops.staleMs(50_000, 'music/c.mp3'), 10_000, 'elsewhere the drop counts')
  t.is(drops.staleMs(50_000), 10_000, 'no name: every drop counts')
  drops.note(45_000, new Set(['photos/2024/a.jpg']))
  t.is(drops.staleMs(50_000, 'photos/x'), 40_000, 'two drops held it: back past both')
  t.deepEqual(drops.recent(10), [10_000], 'saved for the next process: only the drops that refreshed every name')
  t.is(drops.staleMs(50_000, 'music/c.mp3'), 5_000)
  drops.note(45_000, new Set(['music/y.mp3']))
  t.is(drops.staleMs(50_000, 'music/c.mp3'), 10_000, 'the same drop noted again: the names it held back add up')
  t.is(drops.staleMs(50_000, 'photos/x'), 40_000)
})

test('a reclaimed directory the other host moved away and back is not replaced by a symlink made behind a stale negative dentry', (t) =>
  whileLookupStale(t, async () => {
    const sb = await sandbox(t)
    const agent = await sb.agent()
    mkdirSync(join(sb.union, 'a'))
    writeFileSync(join(sb.union, 'a/mine.txt'), 'mine')
    await flushAll(t, agent)
    const r = await evictCycle(agent)
    t.true(r.ok, r.message)
    t.false(existsSync(join(sb.upper, 'a')), 'reclaimed: only a baseline record is left')
    agent.noteDentryDrop()
    // file times come from the kernel's coarse clock, up to a tick behind Date.now(): with no clock skew
    // allowed here, the other host's changes must come a tick after the drop to count as after it
    await sleep(30)
    // the other host moves a away: the union looks it up meanwhile and caches "no such name"
    renameSync(join(sb.lower, 'a'), join(sb.lower, '.a.moving'))
    t.throws(() => lstatSync(join(sb.union, 'a')), { code: 'ENOENT' })
    // and back (same inode as recorded), with a new file in it
    renameSync(join(sb.lower, '.a.moving'), join(sb.lower, 'a'))
    writeFileSync(join(sb.lower, 'a/theirs.txt'), 'theirs')
    if (!missingIn(join(sb.union, 'a'))) return false // the union shows it: no stale lookup to test
    symlinkSync('elsewhere', join(sb.union, 'a'))
    await flushAll(t, agent)
    t.true(lstatSync(join(sb.lower, 'a')).isDirectory(), "gv0's directory stays")
    t.is(text(join(sb.lower, 'a/theirs.txt')), 'theirs')
    t.is(text(join(sb.lower, 'a/mine.txt')), 'mine', 'nothing deleted here is deleted there')
    const copies = conflictsIn(sb.lower, 'a')
    t.is(copies.length, 1, 'the symlink made here is kept as a conflict copy')
    t.is(readlinkSync(join(sb.lower, copies[0]), 'utf8'), 'elsewhere')
    t.deepEqual(reported(agent), ['modified-both a'])
    return true
  }))

test("a directory made behind a stale \"no such name\" never replaces the other host's file, whatever the drops say", (t) =>
  whileLookupStale(t, async () => {
    const sb = await sandbox(t)
    const agent = await sb.agent()
    // the union looks the name up while it is missing and caches that; then the other host makes a file there
    t.throws(() => lstatSync(join(sb.union, 'z.sh')), { code: 'ENOENT' })
    await sleep(30)
    writeFileSync(join(sb.lower, 'z.sh'), 'theirs')
    await sleep(30)
    // a drop the agent counts on, which left that dentry (one in use at a drop, or any not freed by it, does)
    agent.noteDentryDrop()
    await sleep(30)
    if (!missingIn(join(sb.union, 'z.sh'))) return false // the union shows it: no stale lookup to test
    mkdirSync(join(sb.union, 'z.sh'))
    writeFileSync(join(sb.union, 'z.sh/inside.txt'), 'mine')
    await flushAll(t, agent)
    t.true(lstatSync(join(sb.lower, 'z.sh')).isDirectory(), 'the directory made here takes the name')
    t.is(text(join(sb.lower, 'z.sh/inside.txt')), 'mine')
    const copies = conflictsIn(sb.lower, 'z')
    t.is(copies.length, 1, "the other host's file is kept beside it")
    t.is(text(join(sb.lower, copies[0])), 'theirs')
    t.deepEqual(reported(agent), ['type-changed z.sh'])
    return true
  }))

test('a directory made after deleting the file the union showed replaces that file', async (t) => {
  const sb = await sandbox(t)
  writeFileSync(join(sb.lower, 'z.sh'), 'old')
  const agent = await sb.agent()
  agent.noteDentryDrop()
  await sleep(30)
  t.is(text(join(sb.union, 'z.sh')), 'old')
  rmSync(join(sb.union, 'z.sh'))
  mkdirSync(join(sb.union, 'z.sh'))
  t.regex(xattrs(join(sb.upper, 'z.sh')), /trusted\.overlay\.opaque/, 'made over the whiteout: opaque')
  await flushAll(t, agent)
  t.true(lstatSync(join(sb.lower, 'z.sh')).isDirectory())
  t.deepEqual(conflictsIn(sb.lower, 'z'), [], 'no conflict copy of the file the user removed')
})

test('a create here over a name whose delete kept the remote version does not replace that version', async (t) => {
  const sb = await sandbox(t)
  writeFileSync(join(sb.lower, 'notes.txt'), 'base')
  const agent = await sb.agent()
  rmSync(join(sb.union, 'notes.txt'))
  await sleep(50) // after the delete by more than the file-time granularity
  // the other host edits it (a new inode, as editors save) after the delete here
  writeFileSync(join(sb.lower, '.notes.txt.swp'), 'theirs')
  renameSync(join(sb.lower, '.notes.txt.swp'), join(sb.lower, 'notes.txt'))
  await flushAll(t, agent)
  t.is(text(join(sb.lower, 'notes.txt')), 'theirs', 'the delete is kept')
  // the whiteout still hides their version: a create here is made without seeing it
  writeFileSync(join(sb.union, 'notes.txt'), 'mine')
  await flushAll(t, agent)
  t.is(text(join(sb.lower, 'notes.txt')), 'theirs', "the other host's version stays at its name")
  const copies = conflictsIn(sb.lower, 'notes')
  t.is(copies.length, 1, 'the local one is kept as a conflict copy')
  t.is(text(join(sb.lower, copies[0])), 'mine')
  t.deepEqual(reported(agent), ['delete-kept notes.txt', 'modified-both notes.txt'])
})

test('an empty directory the other host made after a directory was replaced here stays', async (t) => {
  const sb = await sandbox(t)
  mkdirSync(join(sb.lower, 'proj/old'), { recursive: true })
  writeFileSync(join(sb.lower, 'proj/old/a'), 'A')
  const agent = await sb.agent()
  rmSync(join(sb.union, 'proj'), { recursive: true })
  mkdirSync(join(sb.union, 'proj'))
  writeFileSync(join(sb.union, 'proj/new'), 'new here')
  await sleep(50) // after the replacement by more than the file-time granularity
  mkdirSync(join(sb.lower, 'proj/theirs')) // hidden from the union by the opaque directory
  await flushAll(t, agent)
  t.is(text(join(sb.lower, 'proj/new')), 'new here')
  t.false(existsSync(join(sb.lower, 'proj/old')), 'what the union showed is gone')
  t.true(lstatSync(join(sb.lower, 'proj/theirs')).isDirectory(), "the other host's directory stays")
  t.deepEqual(reported(agent), ['delete-kept proj/theirs'])
})

test('a directory removed or made a file on the other host: entries written below it here still reach gv0, reported', async (t) => {
  const sb = await sandbox(t)
  const agent = await sb.agent()
  mkdirSync(join(sb.union, 'proj'), { mode: 0o750 })
  writeFileSync(join(sb.union, 'proj/a'), 'a1')
  mkdirSync(join(sb.union, 'docs'))
  writeFileSync(join(sb.union, 'docs/old'), 'old')
  mkdirSync(join(sb.union, 'keep/deeper'), { recursive: true })
  writeFileSync(join(sb.union, 'keep/deeper/x'), 'x1')
  await flushAll(t, agent)
  await sleep(20)
  // the other host removes proj and replaces docs with a file
  rmSync(join(sb.lower, 'proj'), { recursive: true })
  rmSync(join(sb.lower, 'keep'), { recursive: true })
  rmSync(join(sb.lower, 'docs'), { recursive: true })
  writeFileSync(join(sb.lower, 'docs'), 'plexus made this a file')
  writeFileSync(join(sb.union, 'proj/b'), 'new here')
  writeFileSync(join(sb.union, 'proj/a'), 'a2')
  mkdirSync(join(sb.union, 'proj/sub'))
  writeFileSync(join(sb.union, 'proj/sub/deep'), 'deep')
  writeFileSync(join(sb.union, 'docs/n'), 'n')
  // only a file's content changes here: its directories are not published again on their own
  writeFileSync(join(sb.union, 'keep/deeper/x'), 'x2')
  await flushAll(t, agent, 5000)
  t.true(lstatSync(join(sb.lower, 'proj')).isDirectory(), 'proj made again')
  t.is(lstatSync(join(sb.lower, 'proj')).mode & 0o7777, 0o750 & ~process.umask(), "with the upper dir's mode")
  t.is(text(join(sb.lower, 'proj/b')), 'new here')
  t.is(text(join(sb.lower, 'proj/sub/deep')), 'deep')
  // a was deleted there and changed here: the local version is kept as a conflict copy
  const a = conflictsIn(join(sb.lower, 'proj'), 'a')
  t.is(a.length, 1)
  t.is(text(join(sb.lower, 'proj', a[0])), 'a2')
  t.true(lstatSync(join(sb.lower, 'docs')).isDirectory())
  t.is(text(join(sb.lower, 'docs/n')), 'n')
  const aside = conflictsIn(sb.lower, 'docs')
  t.is(aside.length, 1, "the other host's file kept under a conflict name")
  t.is(text(join(sb.lower, aside[0])), 'plexus made this a file')
  const x = conflictsIn(join(sb.lower, 'keep/deeper'), 'x')
  t.is(x.length, 1)
  t.is(text(join(sb.lower, 'keep/deeper', x[0])), 'x2')
  t.deepEqual(reported(agent), [
    'dir-recreated keep',
    'dir-recreated keep/deeper',
    'dir-recreated proj',
    'modified-both keep/deeper/x',
    'modified-both proj/a',
    'type-changed docs',
  ])
  t.is((await agent.status()).pending.entries, 0)
})

test('directory owner and mode changed on the other host stay; a change here still reaches gv0', async (t) => {
  const sb = await sandbox(t)
  const agent = await sb.agent()
  mkdirSync(join(sb.union, 'shared'))
  chmodSync(join(sb.union, 'shared'), 0o755)
  await flushAll(t, agent)
  chmodSync(join(sb.lower, 'shared'), 0o770) // the other host
  chownSync(join(sb.lower, 'shared'), 1234, 1234)
  writeFileSync(join(sb.union, 'shared/f'), 'f') // moves the upper dir's ctime
  await flushAll(t, agent)
  t.is(text(join(sb.lower, 'shared/f')), 'f')
  let st = lstatSync(join(sb.lower, 'shared'))
  t.is(st.mode & 0o7777, 0o770, "the other host's chmod is not reverted")
  t.is(st.uid, 1234, "nor its chown")
  chmodSync(join(sb.union, 'shared'), 0o750) // a chmod here
  await flushAll(t, agent)
  st = lstatSync(join(sb.lower, 'shared'))
  t.is(st.mode & 0o7777, 0o750, 'a chmod here is published')
  t.is(st.uid, 1234, 'the owner, unchanged here, stays')
})

test("a conflict copy edited on the other host is not overwritten by this host's next version", async (t) => {
  const sb = await sandbox(t)
  const agent = await sb.agent()
  writeFileSync(join(sb.union, 'notes.md'), 'v1')
  await flushAll(t, agent)
  await sleep(20)
  writeFileSync(join(sb.lower, 'notes.md'), 'remote edit')
  writeFileSync(join(sb.union, 'notes.md'), 'local 1')
  await flushAll(t, agent)
  const [first] = conflictsIn(sb.lower, 'notes')
  t.is(text(join(sb.lower, first)), 'local 1')
  await sleep(20)
  writeFileSync(join(sb.lower, first), 'plexus edited the copy')
  writeFileSync(join(sb.union, 'notes.md'), 'local 2')
  await flushAll(t, agent)
  t.is(text(join(sb.lower, first)), 'plexus edited the copy', 'the edited conflict copy stays')
  t.is(text(join(sb.lower, 'notes.md')), 'remote edit')
  const copies = conflictsIn(sb.lower, 'notes')
  t.is(copies.length, 2, 'the local version went to a new conflict copy')
  t.is(text(join(sb.lower, copies.find((c) => c !== first) as string)), 'local 2')
  t.deepEqual(reported(agent), ['modified-both notes.md', 'modified-both notes.md'])
})

test('user xattrs and ACLs changed after the first publish reach gv0, removed ones go, trusted.* never', async (t) => {
  const sb = await sandbox(t)
  const agent = await sb.agent()
  const setf = (...args: string[]) => execFileSync('setfattr', args)
  writeFileSync(join(sb.union, 'f'), 'content')
  setf('-n', 'user.keep', '-v', 'one', join(sb.union, 'f'))
  setf('-n', 'user.drop', '-v', 'x', join(sb.union, 'f'))
  mkdirSync(join(sb.union, 'd'))
  await flushAll(t, agent)
  t.regex(xattrs(join(sb.lower, 'f')), /user\.drop="x"/)
  // metadata only: content and mtime stay
  setf('-n', 'user.keep', '-v', 'two', join(sb.union, 'f'))
  setf('-x', 'user.drop', join(sb.union, 'f'))
  setf('-n', 'user.new', '-v', 'added', join(sb.union, 'f'))
  setf('-n', 'trusted.local', '-v', 'never', join(sb.union, 'f'))
  setf('-n', 'system.posix_acl_access', '-v', userAcl, join(sb.union, 'f'))
  setf('-n', 'user.dir', '-v', 'tagged', join(sb.union, 'd'))
  setf('-n', 'system.posix_acl_access', '-v', userAcl, join(sb.union, 'd'))
  setf('-n', 'system.posix_acl_default', '-v', userAcl, join(sb.union, 'd'))
  await flushAll(t, agent)
  const fx = xattrs(join(sb.lower, 'f'))
  t.regex(fx, /user\.keep="two"/)
  t.regex(fx, /user\.new="added"/)
  t.notRegex(fx, /user\.drop/)
  t.notRegex(fx, /trusted\.local/)
  t.is(acls(join(sb.lower, 'f')).length, 1)
  t.deepEqual(acls(join(sb.lower, 'f')), acls(join(sb.upper, 'f')))
  t.regex(xattrs(join(sb.lower, 'd')), /user\.dir="tagged"/)
  t.is(acls(join(sb.lower, 'd')).length, 2)
  t.deepEqual(acls(join(sb.lower, 'd')), acls(join(sb.upper, 'd')))
  t.is(text(join(sb.lower, 'f')), 'content')
  // removed here: removed in gv0
  setf('-x', 'system.posix_acl_access', join(sb.union, 'f'))
  setf('-x', 'system.posix_acl_access', join(sb.union, 'd'))
  setf('-x', 'system.posix_acl_default', join(sb.union, 'd'))
  setf('-x', 'user.dir', join(sb.union, 'd'))
  await flushAll(t, agent)
  t.deepEqual(acls(join(sb.lower, 'f')), [])
  t.deepEqual(acls(join(sb.lower, 'd')), [])
  t.notRegex(xattrs(join(sb.lower, 'd')), /user\.dir/)
  t.is(lstatSync(join(sb.lower, 'f')).mode & 0o777, lstatSync(join(sb.upper, 'f')).mode & 0o777)
  // the other host's xattr changes stay when something else changes here
  setf('-n', 'user.new', '-v', 'theirs', join(sb.lower, 'f'))
  setf('-n', 'user.remote', '-v', 'r', join(sb.lower, 'f'))
  setf('-n', 'user.another', '-v', 'here', join(sb.union, 'f'))
  await flushAll(t, agent)
  const after = xattrs(join(sb.lower, 'f'))
  t.regex(after, /user\.another="here"/)
  t.regex(after, /user\.new="theirs"/)
  t.regex(after, /user\.remote="r"/)
  // and evict loses nothing: the union shows gv0's copy with the same xattrs
  const r = await evictCycle(agent)
  t.true(r.ok, r.message)
  t.false(existsSync(join(sb.upper, 'f')), 'reclaimed')
  t.regex(xattrs(join(sb.union, 'f')), /user\.keep="two"/)
})

test("an opaque replacement removes every name the union no longer shows, other hosts' conflict copies too", async (t) => {
  const sb = await sandbox(t)
  mkdirSync(join(sb.lower, 'photos'))
  writeFileSync(join(sb.lower, 'photos/a.jpg'), 'A')
  writeFileSync(join(sb.lower, 'photos/a.conflict-plexus-20240101T000000Z.jpg'), 'their old conflict copy')
  writeFileSync(join(sb.lower, 'photos/b.conflict-hydra-20240101T000000Z.jpg'), 'a conflict copy no record keeps')
  const agent = await sb.agent()
  rmSync(join(sb.union, 'photos'), { recursive: true })
  mkdirSync(join(sb.union, 'photos'))
  writeFileSync(join(sb.union, 'photos/c.jpg'), 'C')
  await flushAll(t, agent)
  t.deepEqual(readdirSync(join(sb.lower, 'photos')), ['c.jpg'])
  const r = await evictCycle(agent)
  t.true(r.ok, r.message)
  t.deepEqual(readdirSync(join(sb.union, 'photos')), ['c.jpg'], 'nothing reappears after evict')
})

test("another host's temporaries are never deleted, published into or removed through a whiteout; this host's own are", async (t) => {
  const sb = await sandbox(t)
  const hex = '0123456789abcdef'
  const lab = `.gfs-writecache.tmp.hydra.lab.${hex}.4242` // host "hydra.lab", mid-publish
  const plexus = `.gfs-writecache.tmp.plexus.${hex}.77`
  const own = `.gfs-writecache.tmp.hydra.${hex}.1`
  mkdirSync(join(sb.lower, 'dir'))
  for (const n of [lab, plexus]) writeFileSync(join(sb.lower, 'dir', n), `in flight: ${n}`)
  for (const n of [lab, own]) writeFileSync(join(sb.lower, n), `at the top: ${n}`)
  const agent = await sb.agent()
  t.is(await agent.removeStaleTemps(), 1, "this host's leftover only")
  t.deepEqual(userNames(sb.lower).sort(), [lab, 'dir'].sort())
  t.is(text(join(sb.lower, lab)), `at the top: ${lab}`)
  // the union shows them: a write to one and a delete of another must not reach gv0
  writeFileSync(join(sb.union, 'dir', plexus), 'written through the union')
  rmSync(join(sb.union, 'dir', lab))
  writeFileSync(join(sb.union, 'dir/real'), 'real')
  await flushAll(t, agent)
  t.is(text(join(sb.lower, 'dir/real')), 'real')
  t.is(text(join(sb.lower, 'dir', plexus)), `in flight: ${plexus}`, 'never published into')
  t.is(text(join(sb.lower, 'dir', lab)), `in flight: ${lab}`, 'never deleted')
  const s = await agent.status()
  t.true(s.errors.some((e) => e.message.includes('named like a publish temporary')), 'reported')
})
