// A tree deeper than PATH_MAX (4096 bytes) in the cache: scan, publish, status and evict handle it like any
// other, because the agent walks by directory handles and never hands the kernel the whole path.
import test from 'ava'
import { execFileSync } from 'node:child_process'
import { closeSync, constants, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import { evictCycle } from '../../src/agent/offline/evict.ts'
import { flushAll, sandbox } from './helpers.ts'

const O_PATH = 0o10000000
const NAMES = Array.from({ length: 40 }, (_, i) => `${String(i).padStart(3, '0')}-${'n'.repeat(196)}`)

/** Runs fn with /proc/self/fd/N for the directory `names` below root (each step opened on its own). */
function inDeepDir<T>(root: string, names: string[], fn: (dir: string) => T, create = false): T {
  let fd = openSync(root, O_PATH | constants.O_DIRECTORY)
  try {
    for (const name of names) {
      if (create) mkdirSync(`/proc/self/fd/${fd}/${name}`)
      const next = openSync(`/proc/self/fd/${fd}/${name}`, O_PATH | constants.O_DIRECTORY | constants.O_NOFOLLOW)
      closeSync(fd)
      fd = next
    }
    return fn(`/proc/self/fd/${fd}`)
  } finally {
    closeSync(fd)
  }
}

test('a tree deeper than PATH_MAX is scanned, published, reported and evicted like any other', async (t) => {
  const sb = await sandbox(t)
  // before the sandbox's own removal (teardowns run last first), which stops at PATH_MAX; rm walks by descriptors
  t.teardown(() => execFileSync('rm', ['-rf', '--one-file-system', `${sb.lower}/${NAMES[0]}`, `${sb.upper}/${NAMES[0]}`]))
  t.true(NAMES.join('/').length > 8000, 'the path is about twice PATH_MAX')
  inDeepDir(sb.union, NAMES, (dir) => writeFileSync(`${dir}/leaf.txt`, 'at the bottom\n'), true)
  inDeepDir(sb.union, NAMES.slice(0, 25), (dir) => writeFileSync(`${dir}/middle.txt`, 'half way\n'))
  writeFileSync(`${sb.union}/top.txt`, 'top\n')
  const agent = await sb.agent()
  t.is(agent.pending().entries, 40 + 3)
  await flushAll(t, agent)
  t.is(inDeepDir(sb.lower, NAMES, (dir) => readFileSync(`${dir}/leaf.txt`, 'utf8')), 'at the bottom\n')
  t.is(inDeepDir(sb.lower, NAMES.slice(0, 25), (dir) => readFileSync(`${dir}/middle.txt`, 'utf8')), 'half way\n')
  t.is(readFileSync(`${sb.lower}/top.txt`, 'utf8'), 'top\n')
  const s = await agent.status()
  t.is(s.pending.entries, 0)
  t.deepEqual(s.errors, [])
  const r = await evictCycle(agent)
  t.true(r.ok, r.message)
  t.is(r.ok && r.reclaim.removed, 40 + 3, 'every published entry reclaimed from the cache')
  t.is(inDeepDir(sb.union, NAMES, (dir) => readFileSync(`${dir}/leaf.txt`, 'utf8')), 'at the bottom\n', 'the union shows gv0 copy')
})
