// The flush contract on a real overlay: what lands in the union reaches the lower dir, exactly.
import test from 'ava'
import { execFileSync, spawn } from 'node:child_process'
import {
  appendFileSync, chownSync, chmodSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync,
  renameSync, rmSync, symlinkSync, utimesSync, writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { evictCycle } from '../../src/agent/offline/evict.ts'
import { isUnionMounted } from '../../src/agent/fs/mounts.ts'
import type { StateStore } from '../../src/agent/state/state-store.ts'
import { flushAll, sandbox, sleep, text, userNames } from './helpers.ts'

const xattrs = (path: string) => execFileSync('getfattr', ['-d', '-m', '-', '--absolute-names', path], { encoding: 'utf8' })

test('files, directories and symlinks arrive with content, owner, mode, times and user xattrs only', async (t) => {
  const sb = await sandbox(t)
  mkdirSync(join(sb.union, 'docs'), { mode: 0o750 })
  writeFileSync(join(sb.union, 'docs/report.txt'), 'quarterly numbers\n')
  chownSync(join(sb.union, 'docs/report.txt'), 1234, 5678)
  chmodSync(join(sb.union, 'docs/report.txt'), 0o640)
  utimesSync(join(sb.union, 'docs/report.txt'), 1_600_000_000, 1_600_000_000.25)
  execFileSync('setfattr', ['-n', 'user.color', '-v', 'blue', join(sb.union, 'docs/report.txt')])
  symlinkSync('docs/report.txt', join(sb.union, 'latest'))
  mkdirSync(join(sb.union, 'a/b/c'), { recursive: true })
  writeFileSync(join(sb.union, 'a/b/c/deep'), Buffer.alloc(3 << 20, 7))
  const agent = await sb.agent()
  await flushAll(t, agent)
  const f = join(sb.lower, 'docs/report.txt')
  t.is(text(f), 'quarterly numbers\n')
  const st = lstatSync(f)
  t.is(st.uid, 1234)
  t.is(st.gid, 5678)
  t.is(st.mode & 0o7777, 0o640)
  t.true(Math.abs(st.mtimeMs - 1_600_000_000_250) < 1)
  t.is(lstatSync(join(sb.lower, 'docs')).mode & 0o7777, 0o750 & ~process.umask())
  t.regex(xattrs(f), /user\.color="blue"/)
  t.notRegex(xattrs(join(sb.lower, 'docs')), /trusted\.overlay/)
  t.is(readlinkSync(join(sb.lower, 'latest')), 'docs/report.txt')
  t.true(readFileSync(join(sb.lower, 'a/b/c/deep')).equals(Buffer.alloc(3 << 20, 7)))
  t.deepEqual(userNames(sb.lower).filter((n) => n.startsWith('.gfs-writecache')), [])
  const s = await agent.status()
  t.is(s.pending.entries, 0)
  t.is(s.publishedTotal, 3, 'two files and a symlink')
  t.truthy(s.lastPublish)
})

test('append after publish, then evict, then append again: gv0 has every byte', async (t) => {
  const sb = await sandbox(t)
  writeFileSync(join(sb.union, 'log'), 'one\n')
  const agent = await sb.agent()
  await flushAll(t, agent)
  t.is(text(join(sb.lower, 'log')), 'one\n')
  appendFileSync(join(sb.union, 'log'), 'two\n')
  await flushAll(t, agent)
  t.is(text(join(sb.lower, 'log')), 'one\ntwo\n')
  const r = await evictCycle(agent)
  t.true(r.ok, r.message)
  t.true(isUnionMounted(sb.cfg), 'union mounted again after evict')
  t.deepEqual(userNames(sb.upper), [], 'published entries reclaimed from upper')
  t.is(text(join(sb.union, 'log')), 'one\ntwo\n')
  appendFileSync(join(sb.union, 'log'), 'three\n')
  t.is(text(join(sb.union, 'log')), 'one\ntwo\nthree\n')
  await flushAll(t, agent)
  t.is(text(join(sb.lower, 'log')), 'one\ntwo\nthree\n')
  t.is((await agent.status()).evictions, 1)
})

test('deletes: whiteouts in merged dirs and deletes in dirs that were upper-only both reach gv0', async (t) => {
  const sb = await sandbox(t)
  writeFileSync(join(sb.lower, 'old'), 'old')
  mkdirSync(join(sb.lower, 'tree/sub'), { recursive: true })
  writeFileSync(join(sb.lower, 'tree/sub/leaf'), 'leaf')
  const agent = await sb.agent()
  rmSync(join(sb.union, 'old'))
  rmSync(join(sb.union, 'tree'), { recursive: true })
  t.is(lstatSync(join(sb.upper, 'old')).isCharacterDevice(), true, 'overlay made a whiteout')
  // a directory created here, published, then its file deleted: overlay leaves no whiteout
  mkdirSync(join(sb.union, 'fresh'))
  writeFileSync(join(sb.union, 'fresh/tmp'), 'x')
  await flushAll(t, agent)
  t.false(existsSync(join(sb.lower, 'old')))
  t.false(existsSync(join(sb.lower, 'tree')))
  t.is(text(join(sb.lower, 'fresh/tmp')), 'x')
  rmSync(join(sb.union, 'fresh/tmp'))
  t.log(existsSync(join(sb.upper, 'fresh/tmp')) ? 'overlay left a whiteout' : 'overlay left no whiteout (upper-only dir)')
  await flushAll(t, agent)
  t.false(existsSync(join(sb.lower, 'fresh/tmp')))
  const r = await evictCycle(agent)
  t.true(r.ok, r.message)
  t.deepEqual(readdirSync(sb.union).sort(), ['fresh'])
  t.deepEqual(readdirSync(join(sb.union, 'fresh')), [])
})

test('a replaced directory (opaque) replaces its contents in gv0', async (t) => {
  const sb = await sandbox(t)
  mkdirSync(join(sb.lower, 'photos/2019'), { recursive: true })
  writeFileSync(join(sb.lower, 'photos/a.jpg'), 'A')
  writeFileSync(join(sb.lower, 'photos/2019/b.jpg'), 'B')
  const agent = await sb.agent()
  rmSync(join(sb.union, 'photos'), { recursive: true })
  mkdirSync(join(sb.union, 'photos'))
  writeFileSync(join(sb.union, 'photos/c.jpg'), 'C')
  t.regex(xattrs(join(sb.upper, 'photos')), /trusted\.overlay\.opaque="y"/)
  await flushAll(t, agent)
  t.deepEqual(readdirSync(join(sb.lower, 'photos')), ['c.jpg'])
  t.is(text(join(sb.lower, 'photos/c.jpg')), 'C')
  const r = await evictCycle(agent)
  t.true(r.ok, r.message)
  t.deepEqual(readdirSync(join(sb.union, 'photos')), ['c.jpg'])
})

test('renames arrive as copy + delete, for files and directories', async (t) => {
  const sb = await sandbox(t)
  writeFileSync(join(sb.lower, 'draft.txt'), 'text')
  mkdirSync(join(sb.lower, 'proj'))
  writeFileSync(join(sb.lower, 'proj/main.c'), 'int main;')
  const agent = await sb.agent()
  renameSync(join(sb.union, 'draft.txt'), join(sb.union, 'final.txt'))
  execFileSync('mv', [join(sb.union, 'proj'), join(sb.union, 'project')])
  await flushAll(t, agent)
  t.false(existsSync(join(sb.lower, 'draft.txt')))
  t.is(text(join(sb.lower, 'final.txt')), 'text')
  t.false(existsSync(join(sb.lower, 'proj')))
  t.is(text(join(sb.lower, 'project/main.c')), 'int main;')
  // and a rename inside a directory that only exists here (overlay renames in upper directly)
  mkdirSync(join(sb.union, 'new'))
  writeFileSync(join(sb.union, 'new/a'), 'a')
  await flushAll(t, agent)
  renameSync(join(sb.union, 'new/a'), join(sb.union, 'new/b'))
  await flushAll(t, agent)
  t.deepEqual(readdirSync(join(sb.lower, 'new')), ['b'])
})

test('symlinks: created, retargeted, replaced by a file', async (t) => {
  const sb = await sandbox(t)
  const agent = await sb.agent()
  symlinkSync('target one', join(sb.union, 'ln'))
  symlinkSync('/abs/dangling', join(sb.union, 'dangling'))
  await flushAll(t, agent)
  t.is(readlinkSync(join(sb.lower, 'ln')), 'target one')
  t.is(readlinkSync(join(sb.lower, 'dangling')), '/abs/dangling')
  rmSync(join(sb.union, 'ln'))
  symlinkSync('target two', join(sb.union, 'ln'))
  rmSync(join(sb.union, 'dangling'))
  writeFileSync(join(sb.union, 'dangling'), 'now a file')
  await flushAll(t, agent)
  t.is(readlinkSync(join(sb.lower, 'ln')), 'target two')
  t.true(lstatSync(join(sb.lower, 'dangling')).isFile())
  t.is(text(join(sb.lower, 'dangling')), 'now a file')
})

test('symlinks changed in gv0 are never overwritten: changed before the pass or during the publish, the local link gets a conflict name', async (t) => {
  const sb = await sandbox(t)
  const agent = await sb.agent()
  symlinkSync('v1', join(sb.union, 'early'))
  symlinkSync('v1', join(sb.union, 'late'))
  await flushAll(t, agent)
  await sleep(20)
  // the other host retargets 'early' in gv0 before the next pass
  rmSync(join(sb.lower, 'early'))
  symlinkSync('remote', join(sb.lower, 'early'))
  // and 'late' after the agent looked at gv0 but before its rename: the intent note sits in that window
  // the store is the agent's own: reached into here only to race the rename
  const store = (agent as unknown as { state: StateStore }).state
  const noteIntent = store.noteIntent.bind(store)
  store.noteIntent = (rel, intent) => {
    noteIntent(rel, intent)
    if (rel === 'late' && readlinkSync(join(sb.lower, 'late')) === 'v1') {
      rmSync(join(sb.lower, 'late'))
      symlinkSync('remote', join(sb.lower, 'late'))
    }
  }
  for (const n of ['early', 'late']) {
    rmSync(join(sb.union, n))
    symlinkSync('local', join(sb.union, n))
  }
  await flushAll(t, agent)
  for (const n of ['early', 'late']) {
    t.is(readlinkSync(join(sb.lower, n)), 'remote', `${n}: gv0's link kept`)
    const copies = userNames(sb.lower).filter((c) => c.startsWith(`${n}.conflict-hydra-`))
    t.is(copies.length, 1, `${n}: one conflict copy`)
    t.is(readlinkSync(join(sb.lower, copies[0])), 'local', `${n}: the local link under the conflict name`)
  }
  t.deepEqual(agent.conflicts().map((c) => `${c.kind} ${c.path}`).sort(), ['modified-both early', 'modified-both late'])
})

test('hard links stay hard links in gv0, across updates; a name whose first copy changed in gv0 falls back to a copy', async (t) => {
  const sb = await sandbox(t)
  const agent = await sb.agent()
  const ino = (rel: string) => lstatSync(join(sb.lower, rel)).ino
  writeFileSync(join(sb.union, 'a'), 'shared v1')
  linkSync(join(sb.union, 'a'), join(sb.union, 'b'))
  mkdirSync(join(sb.union, 'sub'))
  linkSync(join(sb.union, 'a'), join(sb.union, 'sub/c'))
  t.is(lstatSync(join(sb.upper, 'b')).ino, lstatSync(join(sb.upper, 'a')).ino, 'one inode in upper')
  await flushAll(t, agent)
  for (const n of ['a', 'b', 'sub/c']) t.is(text(join(sb.lower, n)), 'shared v1')
  t.is(ino('b'), ino('a'), 'b is a link to a in gv0')
  t.is(ino('sub/c'), ino('a'), 'sub/c is a link to a in gv0')
  t.is(lstatSync(join(sb.lower, 'a')).nlink, 3)
  // written through one name: every name changes, and gv0 keeps them one inode
  writeFileSync(join(sb.union, 'b'), 'shared v2')
  await flushAll(t, agent)
  for (const n of ['a', 'b', 'sub/c']) t.is(text(join(sb.lower, n)), 'shared v2')
  t.is(ino('b'), ino('a'))
  t.is(ino('sub/c'), ino('a'))
  t.deepEqual(userNames(sb.lower).filter((n) => n.includes('.conflict-') || n.startsWith('.gfs-writecache')), [])
  t.deepEqual(agent.conflicts(), [], 'our own links and renames are not remote changes')
  // the other host replaces a in gv0; then a local write: a conflicts, b cannot link to gv0's a and is
  // copied, sub/c links to b's copy
  await sleep(20)
  writeFileSync(join(sb.lower, 'a.new'), 'remote')
  renameSync(join(sb.lower, 'a.new'), join(sb.lower, 'a'))
  writeFileSync(join(sb.union, 'a'), 'shared v3')
  await flushAll(t, agent)
  t.is(text(join(sb.lower, 'a')), 'remote')
  t.is(text(join(sb.lower, 'b')), 'shared v3')
  t.is(text(join(sb.lower, 'sub/c')), 'shared v3')
  t.not(ino('b'), ino('a'), 'not linked to the remote file')
  t.is(ino('sub/c'), ino('b'))
  t.deepEqual(agent.conflicts().map((c) => `${c.kind} ${c.path}`), ['modified-both a'])
})

test('hard-to-quote names arrive intact and nothing is run', async (t) => {
  const sb = await sandbox(t)
  const canaries = [join(sb.dir, 'pwned'), join(process.cwd(), 'pwned'), join(sb.lower, 'pwned')]
  const names = [
    'with space',
    'new\nline',
    `quote's "double"`,
    '$(touch pwned)',
    '`touch x`;rm -rf',
    'ünïcødé 文件 🎉',
    '-rf',
    'a'.repeat(255),
    'é'.repeat(127) + 'x',
  ]
  const agent = await sb.agent()
  mkdirSync(join(sb.union, 'dir $(id) \n'))
  for (const n of names) writeFileSync(join(sb.union, n), `content of ${n}`)
  for (const n of names.slice(0, 3)) writeFileSync(join(sb.union, 'dir $(id) \n', n), n)
  // a name that is not valid UTF-8
  const raw = Buffer.concat([Buffer.from(sb.union + '/'), Buffer.from([0x66, 0xff, 0xfe, 0x0a, 0x67])])
  writeFileSync(raw, 'latin1 bytes')
  await flushAll(t, agent)
  for (const n of names) t.is(text(join(sb.lower, n)), `content of ${n}`, JSON.stringify(n))
  for (const n of names.slice(0, 3)) t.is(text(join(sb.lower, 'dir $(id) \n', n)), n)
  t.is(readFileSync(Buffer.concat([Buffer.from(sb.lower + '/'), Buffer.from([0x66, 0xff, 0xfe, 0x0a, 0x67])]), 'utf8'), 'latin1 bytes')
  for (const c of canaries) t.false(existsSync(c))
  rmSync(join(sb.union, 'a'.repeat(255)))
  await flushAll(t, agent)
  t.false(existsSync(join(sb.lower, 'a'.repeat(255))))
})

test('file modes survive umask, set-id bits survive the chown, and a set-group-id lower dir does not leak its group', async (t) => {
  const sb = await sandbox(t)
  mkdirSync(join(sb.lower, 'shared'))
  chownSync(join(sb.lower, 'shared'), 0, 4321)
  chmodSync(join(sb.lower, 'shared'), 0o2777) // new files in it get group 4321 unless chowned
  const cases: [string, number, number, number][] = [
    ['open.txt', 0o666, 0, 0], // umask would strip group/other write at create
    ['tool', 0o4755, 1234, 5678], // chown clears set-uid: mode must be set after it
    ['gtool', 0o2750, 0, 5678],
    ['private', 0o600, 0, 0],
    ['empty', 0o644, 0, 0],
    ['shared/root-file', 0o644, 0, 0], // must be root:root, not the dir's set-gid group
  ]
  for (const [name, mode, uid, gid] of cases) {
    writeFileSync(join(sb.union, name), name === 'empty' ? '' : `content of ${name}\n`)
    chownSync(join(sb.union, name), uid, gid)
    chmodSync(join(sb.union, name), mode)
  }
  const agent = await sb.agent()
  await flushAll(t, agent)
  for (const [name, mode, uid, gid] of cases) {
    const st = lstatSync(join(sb.lower, name))
    t.is(st.mode & 0o7777, mode, `${name} mode`)
    t.is(st.uid, uid, `${name} uid`)
    t.is(st.gid, gid, `${name} gid`)
    t.is(text(join(sb.lower, name)), name === 'empty' ? '' : `content of ${name}\n`)
  }
})

test('a file open for writing is not published until its writer closes it; appends during a flush are not lost', async (t) => {
  const sb = await sandbox(t)
  const agent = await sb.agent()
  const file = join(sb.union, 'growing.log')
  // writer keeps the fd open and appends 30 lines; it closes only when told (stdin ends), so a
  // slow machine cannot turn "open for writing" into "closed" behind the test's back
  const writer = spawn(process.execPath, [
    '-e',
    `const fs=require('fs');const fd=fs.openSync(process.argv[1],'a');let i=0;
     const t=setInterval(()=>{fs.writeSync(fd,'line '+(i++)+'\\n');if(i===30)clearInterval(t)},20);
     process.stdin.on('end',()=>{clearInterval(t);while(i<30)fs.writeSync(fd,'line '+(i++)+'\\n');fs.closeSync(fd)});process.stdin.resume()`,
    file,
  ])
  const exited = new Promise((r) => writer.on('exit', r))
  while (!existsSync(file)) await sleep(20)
  for (let i = 0; i < 5; i++) {
    await agent.flush({ wait: false, timeoutMs: 0, settleMs: 0 })
    t.false(existsSync(join(sb.lower, 'growing.log')), 'not published while open for writing')
    await sleep(50)
  }
  const p = agent.pending()
  t.true(p.reasons.some((r) => /open for writing by pid/.test(r)), p.reasons.join(';'))
  writer.stdin.end()
  await exited
  await flushAll(t, agent)
  const expected = Array.from({ length: 30 }, (_, i) => `line ${i}\n`).join('')
  t.is(text(join(sb.lower, 'growing.log')), expected)

  // open-append-close in a loop while flushes run with no settle time: every version published
  // is a complete earlier version, and the last one wins
  const target = join(sb.union, 'appender')
  writeFileSync(target, '')
  const appender = spawn(process.execPath, [
    '-e',
    `const fs=require('fs');let i=0;const t=setInterval(()=>{fs.appendFileSync(process.argv[1],'x'.repeat(100000)+(i++)+'\\n');if(i===40)clearInterval(t)},5)`,
    target,
  ])
  const done = new Promise((r) => appender.on('exit', r))
  let finished = false
  void done.then(() => (finished = true))
  while (!finished) {
    await agent.flush({ wait: false, timeoutMs: 0, settleMs: 0 })
    if (existsSync(join(sb.lower, 'appender'))) {
      const seen = readFileSync(join(sb.lower, 'appender'), 'utf8')
      t.true(readFileSync(target, 'utf8').startsWith(seen), 'published version is a prefix of the file')
      t.true(seen === '' || seen.endsWith('\n'), 'never a torn write')
    }
  }
  await flushAll(t, agent)
  t.is(text(join(sb.lower, 'appender')), text(target))
  t.is(text(target).split('\n').length, 41)
})

test('conflicts: both sides changed -> local version under a conflict name; delete of a remotely changed file keeps it', async (t) => {
  const sb = await sandbox(t)
  const agent = await sb.agent()
  writeFileSync(join(sb.union, 'notes.md'), 'v1')
  writeFileSync(join(sb.union, 'todo'), 'v1')
  await flushAll(t, agent)
  await sleep(20)
  writeFileSync(join(sb.lower, 'notes.md'), 'remote edit') // the other host
  writeFileSync(join(sb.lower, 'todo'), 'remote edit')
  writeFileSync(join(sb.union, 'notes.md'), 'local edit')
  rmSync(join(sb.union, 'todo'))
  await flushAll(t, agent)
  t.is(text(join(sb.lower, 'notes.md')), 'remote edit', 'remote version not overwritten')
  const copies = userNames(sb.lower).filter((n) => n.startsWith('notes.conflict-hydra-'))
  t.is(copies.length, 1)
  t.regex(copies[0], /^notes\.conflict-hydra-\d{8}T\d{6}Z\.md$/)
  t.is(text(join(sb.lower, copies[0])), 'local edit')
  t.is(text(join(sb.lower, 'todo')), 'remote edit', 'delete did not remove a remotely changed file')
  const s = await agent.status()
  t.is(s.conflicts, 2)
  const kinds = agent.conflicts().map((c) => `${c.kind} ${c.path}`).sort()
  t.deepEqual(kinds, ['delete-kept todo', 'modified-both notes.md'])
  // further local edits go to the same conflict copy, never over the remote version
  writeFileSync(join(sb.union, 'notes.md'), 'local edit 2')
  await flushAll(t, agent)
  t.is(text(join(sb.lower, 'notes.md')), 'remote edit')
  t.is(text(join(sb.lower, copies[0])), 'local edit 2')
  // a file created here while the other host created the same name: both kept
  writeFileSync(join(sb.lower, 'both'), 'theirs')
  await sleep(20)
  writeFileSync(join(sb.upper, '..', 'ignored'), '') // unrelated noise outside upper
  const r = await evictCycle(agent)
  t.true(r.ok, r.message)
  t.is(text(join(sb.union, 'notes.md')), 'remote edit', 'after evict the union shows gv0')
})

test('a remote creation becomes visible through the union after the periodic dentry drop', async (t) => {
  const sb = await sandbox(t, { dentryDropSeconds: 0.3, settleSeconds: 0.1 })
  const { startDaemon } = await import('../../src/agent/service/daemon.ts')
  t.throws(() => readFileSync(join(sb.union, 'from-plexus')), { code: 'ENOENT' })
  writeFileSync(join(sb.lower, 'from-plexus'), 'hello from the other host')
  const d = await startDaemon(sb.cfg, (l) => t.log(l))
  t.teardown(() => d.stop())
  const deadline = Date.now() + 5000
  let seen = ''
  while (Date.now() < deadline) {
    try {
      seen = readFileSync(join(sb.union, 'from-plexus'), 'utf8')
      break
    } catch {
      await sleep(100)
    }
  }
  t.is(seen, 'hello from the other host')
})

test('when gv0\'s client switches graphs (a volume option changed), the daemon drops dentries at once', async (t) => {
  const sb = await sandbox(t, { dentryDropSeconds: 0 })
  const dropped = join(sb.dir, 'drop_caches')
  writeFileSync(dropped, '')
  const { startDaemon } = await import('../../src/agent/service/daemon.ts')
  // gluster's meta directory names the active graph; here a stand-in symlink plays it
  mkdirSync(join(sb.lower, '.meta', 'graphs'), { recursive: true })
  const active = join(sb.lower, '.meta', 'graphs', 'active')
  symlinkSync('hydra-829-2026-11-24-19:40:07.548615 +0000', active)
  const d = await startDaemon({ ...sb.cfg, dropCachesFile: dropped }, (l) => t.log(l))
  t.teardown(() => d.stop())
  await sleep(1500)
  t.is(readFileSync(dropped, 'utf8'), '', 'no drop while the graph stays (the periodic drop is off)')
  rmSync(active)
  symlinkSync('hydra-829-2026-11-24-19:40:11.056830 +0000', active)
  const deadline = Date.now() + 5000
  while (Date.now() < deadline && readFileSync(dropped, 'utf8') === '') await sleep(100)
  t.is(readFileSync(dropped, 'utf8'), '2\n')
})

test('inotify: the daemon publishes a change without waiting for the periodic scan', async (t) => {
  const sb = await sandbox(t, { scanIntervalSeconds: 3600, settleSeconds: 0.1 })
  const { startDaemon } = await import('../../src/agent/service/daemon.ts')
  const d = await startDaemon(sb.cfg, (l) => t.log(l))
  t.teardown(() => d.stop())
  await sleep(300)
  mkdirSync(join(sb.union, 'inbox/2024'), { recursive: true })
  writeFileSync(join(sb.union, 'inbox/2024/mail.eml'), 'Subject: hi')
  // far below the scan's hour; wide enough for a machine busy with the other suites
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline && !existsSync(join(sb.lower, 'inbox/2024/mail.eml'))) await sleep(50)
  t.is(text(join(sb.lower, 'inbox/2024/mail.eml')), 'Subject: hi')
  appendFileSync(join(sb.union, 'inbox/2024/mail.eml'), '\n\nbody')
  const deadline2 = Date.now() + 15_000
  while (Date.now() < deadline2 && text(join(sb.lower, 'inbox/2024/mail.eml')) !== 'Subject: hi\n\nbody') await sleep(50)
  t.is(text(join(sb.lower, 'inbox/2024/mail.eml')), 'Subject: hi\n\nbody')
})
