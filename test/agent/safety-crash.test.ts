// Crashes between the two steps of a move in gv0: the next run finishes the move, it never repeats it.
import test from 'ava'
import { lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cli, sandbox, sleep, userNames } from './helpers.ts'

async function withHook<T>(hook: string, fn: () => Promise<T>): Promise<T> {
  process.env.GFS_WRITECACHE_TEST_HOOK = hook
  try {
    return await fn()
  } finally {
    delete process.env.GFS_WRITECACHE_TEST_HOOK
  }
}

test("a kill between linking the other host's file aside and unlinking its name makes no second conflict copy", async (t) => {
  const sb = await sandbox(t, { settleSeconds: 0.05 })
  mkdirSync(join(sb.union, 'b'))
  writeFileSync(join(sb.union, 'b/mine.txt'), 'mine\n')
  await sleep(50)
  // the other host makes a file at the name after the union looked it up
  writeFileSync(join(sb.lower, 'b'), 'the other host\n')
  const cfg = ['--config', sb.configFile]
  const killed = await withHook('kill@publish:linked-before-temp-unlink#1', () => cli(['flush', '--wait', '--timeout', '10', ...cfg]))
  t.not(killed.code, 0, 'killed at the crash point')
  const copies = () => userNames(sb.lower).filter((n) => n.startsWith('b.conflict-hydra-'))
  t.is(copies().length, 1, `the crash left the link: ${userNames(sb.lower).join(', ')}`)
  t.is(lstatSync(join(sb.lower, 'b')).nlink, 2, 'and the name')
  const f = await cli(['flush', '--wait', '--timeout', '10', ...cfg])
  t.is(f.code, 0, f.stderr)
  t.deepEqual(copies().length, 1, `one conflict copy: ${userNames(sb.lower).join(', ')}`)
  t.is(readFileSync(join(sb.lower, copies()[0]), 'utf8'), 'the other host\n')
  t.is(lstatSync(join(sb.lower, copies()[0])).nlink, 1)
  t.true(lstatSync(join(sb.lower, 'b')).isDirectory())
  t.is(readFileSync(join(sb.lower, 'b/mine.txt'), 'utf8'), 'mine\n')
})
