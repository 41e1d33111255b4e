// A dentry drop frees only dentries nothing holds: a file open through the union (an editor, a reader) keeps
// its name's dentry, and over a lower layer that never revalidates (a brick, a local directory) the union goes
// on showing the version it looked up, however many drops come after.
import test from 'ava'
import { spawn } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { dropUnionDentries } from '../../src/agent/watch/dentries.ts'
import { flushAll, sandbox, sleep, text, userNames } from './helpers.ts'

test('a file held open across a dentry drop, replaced by the other host, then deleted here: the other host\'s version stays', async (t) => {
  const sb = await sandbox(t, {}, { mount: false })
  writeFileSync(join(sb.lower, 'f.txt'), 'theirs v1\n')
  sb.mount()
  const agent = await sb.agent()
  const fd = openSync(join(sb.union, 'f.txt'), 'r')
  try {
    await sleep(30)
    // the other host replaces it (a new inode, as every publish makes)
    writeFileSync(join(sb.lower, '.f.txt.new'), 'theirs v2\n')
    renameSync(join(sb.lower, '.f.txt.new'), join(sb.lower, 'f.txt'))
    await sleep(30)
    // the daemon's drop, for real
    const drop = dropUnionDentries(sb.union, '/proc/sys/vm/drop_caches')
    t.deepEqual([...(drop.held ?? [])], ['f.txt'], 'the drop names what it could not refresh')
    agent.noteDentryDrop(drop.began, drop.held)
    await sleep(30)
    t.is(readFileSync(join(sb.union, 'f.txt'), 'utf8'), 'theirs v1\n', 'the union still shows the version it had open')
    rmSync(join(sb.union, 'f.txt'))
  } finally {
    closeSync(fd)
  }
  await flushAll(t, agent)
  t.true(existsSync(join(sb.lower, 'f.txt')), `gv0 keeps the version the union never showed: ${userNames(sb.lower).join(', ')}`)
  if (existsSync(join(sb.lower, 'f.txt'))) t.is(text(join(sb.lower, 'f.txt')), 'theirs v2\n')
})

test('a directory someone sits in, replaced by the other host with a file in it, then that name made here: the other host\'s file stays', async (t) => {
  const sb = await sandbox(t, {}, { mount: false })
  mkdirSync(join(sb.lower, 'd'))
  writeFileSync(join(sb.lower, 'd/old.txt'), 'old\n')
  sb.mount()
  const agent = await sb.agent()
  // a shell sitting in d: its cwd holds d's dentry, and with it the lower directory it looked up
  const shell = spawn('sleep', ['60'], { cwd: join(sb.union, 'd'), stdio: 'ignore' })
  t.teardown(() => void shell.kill('SIGKILL'))
  await sleep(100)
  // the other host replaces d (a new directory) with a file in it
  rmSync(join(sb.lower, 'd'), { recursive: true })
  mkdirSync(join(sb.lower, 'd'))
  writeFileSync(join(sb.lower, 'd/x.txt'), 'theirs\n')
  await sleep(30)
  const drop = dropUnionDentries(sb.union, '/proc/sys/vm/drop_caches')
  t.true(drop.held?.has('d'), 'the drop names d as held')
  agent.noteDentryDrop(drop.began, drop.held)
  await sleep(30)
  t.false(existsSync(join(sb.union, 'd/x.txt')), 'the union looks into the directory it had, and finds no x.txt')
  writeFileSync(join(sb.union, 'd/x.txt'), 'mine\n')
  shell.kill('SIGKILL')
  await flushAll(t, agent)
  t.is(text(join(sb.lower, 'd/x.txt')), 'theirs\n', 'the other host\'s file stays at its name')
  const copies = readdirSync(join(sb.lower, 'd')).filter((n) => n.startsWith('x.conflict-'))
  t.is(copies.length, 1, `mine is a conflict copy: ${readdirSync(join(sb.lower, 'd')).join(', ')}`)
  if (copies.length) t.is(text(join(sb.lower, 'd', copies[0])), 'mine\n')
})
