// Flush contract 9: a directory in gv0 (or upper) swapped for a symlink never takes the agent, which runs
// as root, outside the volume. Each test publishes a directory, lets "the other host" replace a gv0
// directory on its path by a symlink to a root-only directory elsewhere, and checks that this directory is
// unchanged to the byte, owner, mode and ctime, and that the entry is reported instead.
import test, { type ExecutionContext } from 'ava'
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  chmodSync, chownSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync,
  symlinkSync, utimesSync, writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { flushAll, sandbox, type Sandbox, type TestAgent } from './helpers.ts'

const SECRET = 'root only\n'

/** Everything about a tree that an operation could change: names, kinds, content, owner, mode, times. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name
      const p = join(dir, r)
      const st = lstatSync(p)
      let what = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? `link ${readlinkSync(p)}` : st.isFile() ? createHash('sha256').update(readFileSync(p)).digest('hex') : 'other'
      what += ` ${st.uid}:${st.gid} ${(st.mode & 0o7777).toString(8)} m${st.mtimeMs} c${st.ctimeMs} n${st.nlink}`
      out[r] = what
      if (st.isDirectory()) walk(r)
    }
  }
  walk('')
  return out
}

/** A root-only directory outside the sandbox, shaped like gv0's p/ so that names the agent uses exist there. */
function outsideDir(t: ExecutionContext): string {
  const dir = mkdtempSync('/tmp/gfswc-outside-')
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  mkdirSync(join(dir, 'd/sub'), { recursive: true })
  mkdirSync(join(dir, 'd/o'))
  for (const f of ['d/f.txt', 'd/x.sh', 'd/notes.md', 'd/sub/old.txt', 'd/o/old1', 'd/.gfs-writecache.tmp.hydra.0123456789abcdef.1']) {
    writeFileSync(join(dir, f), SECRET, { mode: 0o600 })
  }
  for (const d of ['d', 'd/sub', 'd/o']) chmodSync(join(dir, d), 0o700)
  chmodSync(dir, 0o700)
  return dir
}

/** The other host (or a user with write access to gv0) replaces gv0's p by a symlink to `target`. */
function swapForSymlink(sb: Sandbox, rel: string, target: string): void {
  renameSync(join(sb.lower, rel), join(sb.lower, `${rel}.moved`))
  symlinkSync(target, join(sb.lower, rel))
}

/**
 * The union's first lookup of a directory that became merged (published) has overlayfs mark it in upper
 * (trusted.overlay.origin), which moves its ctime once. Let that happen now (fresh dentries, a walk), so
 * that what is pending later is only what the test changes below p, not p itself.
 */
function settleMerged(sb: Sandbox): void {
  sb.umount()
  sb.mount()
  execFileSync('ls', ['-laR', sb.union], { stdio: 'ignore' })
}

/** A user's directory p/d, published, so the files made next are pending below an existing gv0 directory. */
async function published(t: ExecutionContext): Promise<{ sb: Sandbox; agent: TestAgent; outside: string }> {
  const sb = await sandbox(t)
  const outside = outsideDir(t)
  mkdirSync(join(sb.union, 'p/d'), { recursive: true })
  chownSync(join(sb.union, 'p/d'), 1000, 1000)
  const agent = await sb.agent()
  await flushAll(t, agent)
  settleMerged(sb)
  await flushAll(t, agent)
  return { sb, agent, outside }
}

async function passAndCheck(t: ExecutionContext, sb: Sandbox, agent: TestAgent, outside: string, before: Record<string, string>, reported: string[]) {
  const r = await agent.flush({ wait: false, timeoutMs: 0, settleMs: 0 })
  t.log(r.message)
  t.deepEqual(snapshot(outside), before, 'nothing outside gv0 changed or was created')
  const errors = (await agent.status()).errors.map((e) => e.message)
  t.log(errors.join('\n'))
  for (const rel of reported) t.true(errors.some((m) => m.startsWith(`${rel}:`) && /symbolic link/.test(m)), `${rel} is reported`)
}

test('new files, symlinks, hard links and directories below a gv0 directory swapped for a symlink: reported, nothing created outside', async (t) => {
  const { sb, agent, outside } = await published(t)
  writeFileSync(join(sb.union, 'p/d/f.txt'), 'local version\n')
  writeFileSync(join(sb.union, 'p/d/new.txt'), 'new\n')
  chownSync(join(sb.union, 'p/d/new.txt'), 1000, 1000)
  symlinkSync('new.txt', join(sb.union, 'p/d/link'))
  linkSync(join(sb.union, 'p/d/new.txt'), join(sb.union, 'p/d/hard'))
  mkdirSync(join(sb.union, 'p/d/sub'))
  chownSync(join(sb.union, 'p/d/sub'), 1000, 1000)
  const before = snapshot(outside)
  swapForSymlink(sb, 'p', outside)
  await passAndCheck(t, sb, agent, outside, before, ['p/d', 'p/d/f.txt', 'p/d/new.txt', 'p/d/link', 'p/d/sub'])
  t.is(readFileSync(join(sb.upper, 'p/d/f.txt'), 'utf8'), 'local version\n', 'the local version is still in the cache')
})

test('the metadata shortcut (same size and mtime in gv0) never chowns or chmods a file outside', async (t) => {
  const { sb, agent, outside } = await published(t)
  // a file outside that looks like an already published copy of the local one
  writeFileSync(join(sb.union, 'p/d/f.txt'), SECRET)
  chownSync(join(sb.union, 'p/d/f.txt'), 1000, 1000)
  chmodSync(join(sb.union, 'p/d/f.txt'), 0o666)
  utimesSync(join(sb.union, 'p/d/f.txt'), 1_600_000_000, 1_600_000_000)
  utimesSync(join(outside, 'd/f.txt'), 1_600_000_000, 1_600_000_000)
  const before = snapshot(outside)
  swapForSymlink(sb, 'p', outside)
  await passAndCheck(t, sb, agent, outside, before, ['p/d/f.txt'])
  t.is(lstatSync(join(outside, 'd/f.txt')).uid, 0)
})

test('deletes below a swapped directory remove nothing outside', async (t) => {
  const { sb, agent, outside } = await published(t)
  mkdirSync(join(sb.union, 'p/d/sub'))
  writeFileSync(join(sb.union, 'p/d/sub/keep.txt'), 'x\n')
  await flushAll(t, agent)
  settleMerged(sb)
  await flushAll(t, agent)
  rmSync(join(sb.union, 'p/d/sub'), { recursive: true })
  const before = snapshot(outside)
  swapForSymlink(sb, 'p', outside)
  await passAndCheck(t, sb, agent, outside, before, ['p/d/sub'])
})

test('conflict copies are never written outside (a .sh keeps its extension)', async (t) => {
  const { sb, agent, outside } = await published(t)
  writeFileSync(join(sb.union, 'p/d/x.sh'), 'echo v1\n')
  chownSync(join(sb.union, 'p/d/x.sh'), 1000, 1000)
  await flushAll(t, agent)
  settleMerged(sb)
  await flushAll(t, agent)
  writeFileSync(join(sb.union, 'p/d/x.sh'), 'echo v2 from a user\n')
  const before = snapshot(outside)
  swapForSymlink(sb, 'p', outside)
  await passAndCheck(t, sb, agent, outside, before, ['p/d/x.sh'])
  t.deepEqual(readdirSync(join(outside, 'd')).filter((n) => n.includes('.conflict-')), [])
})

test('an opaque directory below a swapped directory deletes nothing outside', async (t) => {
  const sb = await sandbox(t)
  const outside = outsideDir(t)
  mkdirSync(join(sb.lower, 'p/d/o'), { recursive: true })
  writeFileSync(join(sb.lower, 'p/d/o/a'), 'a\n')
  const agent = await sb.agent()
  // p and p/d copied up and published: only p/d changes below, so p is not published again
  writeFileSync(join(sb.union, 'p/d/other'), 'other\n')
  await flushAll(t, agent)
  settleMerged(sb)
  await flushAll(t, agent)
  rmSync(join(sb.union, 'p/d/o'), { recursive: true })
  mkdirSync(join(sb.union, 'p/d/o'))
  writeFileSync(join(sb.union, 'p/d/o/new'), 'new\n')
  const xattr = execFileSync('getfattr', ['-n', 'trusted.overlay.opaque', '--only-values', join(sb.upper, 'p/d/o')], { encoding: 'utf8' })
  t.is(xattr, 'y', 'overlay made the directory opaque')
  const before = snapshot(outside)
  swapForSymlink(sb, 'p', outside)
  await passAndCheck(t, sb, agent, outside, before, ['p/d/o'])
})

test('stale temporaries are only removed inside gv0', async (t) => {
  const { sb, agent, outside } = await published(t)
  const before = snapshot(outside)
  swapForSymlink(sb, 'p', outside)
  await agent.rescan()
  await agent.removeStaleTemps()
  t.deepEqual(snapshot(outside), before)
})

test('a directory in upper swapped for a symlink (offline) is not followed: nothing behind it reaches gv0', async (t) => {
  const sb = await sandbox(t)
  const outside = outsideDir(t)
  mkdirSync(join(sb.union, 'w/d'), { recursive: true })
  writeFileSync(join(sb.union, 'w/d/x'), 'x\n')
  const agent = await sb.agent()
  await flushAll(t, agent)
  settleMerged(sb)
  await flushAll(t, agent)
  writeFileSync(join(sb.union, 'w/d/f.txt'), 'local\n')
  await agent.rescan()
  sb.umount()
  // the index lists w/d/f.txt; that path in upper now leads to a root-only file outside
  renameSync(join(sb.upper, 'w'), join(sb.upper, 'w.real'))
  symlinkSync(outside, join(sb.upper, 'w'))
  const before = snapshot(outside)
  await agent.pass({ settleMs: 0 })
  await agent.pass({ settleMs: 0 })
  t.deepEqual(snapshot(outside), before, 'nothing outside changed')
  const leaked: string[] = []
  const walk = (rel: string) => {
    for (const name of readdirSync(join(sb.lower, rel))) {
      const r = join(rel, name)
      const st = lstatSync(join(sb.lower, r))
      if (st.isDirectory()) walk(r)
      else if (st.isFile() && readFileSync(join(sb.lower, r), 'utf8') === SECRET) leaked.push(r)
    }
  }
  walk('')
  t.deepEqual(leaked, [], 'no file from outside was copied into gv0')
})
