// Sparse files and files past 2 GiB: offsets beyond 32 bits keep their bytes, and holes stay holes in
// gv0 (a hole is never sent over the link nor allocated on the bricks).
import test from 'ava'
import { closeSync, openSync, readSync, statSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { cli, sandbox, sleep } from './helpers.ts'

const at = (file: string, pos: number, len: number) => {
  const fd = openSync(file, 'r')
  try {
    const b = Buffer.alloc(len)
    readSync(fd, b, 0, len, pos)
    return b.toString('latin1')
  } finally {
    closeSync(fd)
  }
}

test('a sparse file past 2 GiB reaches gv0 with its bytes at 64-bit offsets, holes kept, and survives an evict', async (t) => {
  t.timeout(180_000)
  const sb = await sandbox(t, { settleSeconds: 0.05 })
  const size = 2 ** 31 + 3 * 2 ** 20 // ends in a hole
  const f = join(sb.union, 'disk.img')
  const fd = openSync(f, 'w')
  writeSync(fd, 'head', 0)
  writeSync(fd, 'past 2 GiB', 2 ** 31 + 5)
  closeSync(fd)
  const fd2 = openSync(f, 'r+')
  ;(await import('node:fs')).ftruncateSync(fd2, size)
  closeSync(fd2)
  await sleep(100)
  const a = await sb.agent()
  const r = await a.flush({ wait: true, timeoutMs: 150_000, settleMs: 0 })
  t.true(r.ok, r.message)
  const g = join(sb.lower, 'disk.img')
  const st = statSync(g)
  t.is(st.size, size)
  t.is(at(g, 0, 4), 'head')
  t.is(at(g, 2 ** 31 + 5, 10), 'past 2 GiB')
  t.is(at(g, size - 3, 3), '\0\0\0')
  t.true(st.blocks * 512 < 16 * 2 ** 20, `gv0 allocates ${st.blocks * 512} bytes for a file of 2 data chunks`)
  a.saveState()
  await a.close()
  const e = await cli(['evict', '--config', sb.configFile])
  t.is(e.code, 0, e.stderr)
  t.is(at(f, 2 ** 31 + 5, 10), 'past 2 GiB', 'the union shows gv0 copy after the evict')
  t.is(statSync(f).size, size)
})
