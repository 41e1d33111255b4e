// Hostile trees, written by a user through the union and planted in gv0 by the other host: odd names
// (newline, tab, backslash, non-UTF-8 bytes, 255 bytes, names like the agent's own temporaries, conflict
// copies and overlay's whiteouts). Each must reach gv0 or stay in the cache, survive an evict, and never
// stop the agent from draining the rest.
import test from 'ava'
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cli, sandbox, sleep } from './helpers.ts'

const b = (s: string | Buffer) => (typeof s === 'string' ? Buffer.from(s) : s)
const at = (root: string, ...parts: (string | Buffer)[]) => Buffer.concat([Buffer.from(root), ...parts.flatMap((p) => [Buffer.from('/'), b(p)])])

/** Names a user can make that the agent must carry like any other. */
const ODD: (string | Buffer)[] = [
  'new\nline',
  'tab\there',
  'back\\slash',
  Buffer.from([0x6c, 0x61, 0x74, 0x69, 0x6e, 0xe9, 0xff, 0xfe]),
  'n'.repeat(255),
  '.wh.looks-like-a-whiteout',
  '.wh..wh..opq',
  '.wh..wh.orph',
  ' leading space',
  '-dash',
  'x.conflict-plexus-20200101T000000Z',
  '.gfs-writecache.state',
  'reclaimed.log',
]
const show = (n: string | Buffer) => JSON.stringify(b(n).toString('latin1'))

test('odd names written through the union reach gv0, survive an evict, and keep their bytes', async (t) => {
  const sb = await sandbox(t, { settleSeconds: 0.05 })
  mkdirSync(join(sb.union, 'd'))
  for (const [i, n] of ODD.entries()) {
    writeFileSync(at(sb.union, n), `file ${i}\n`)
    mkdirSync(at(sb.union, 'd', n))
    writeFileSync(at(sb.union, 'd', n, n), `nested ${i}\n`)
  }
  writeFileSync(join(sb.union, 'plain.txt'), 'plain\n')
  await sleep(100)
  const a = await sb.agent()
  const r = await a.flush({ wait: true, timeoutMs: 20_000, settleMs: 0 })
  t.log(r.message)
  for (const [i, n] of ODD.entries()) {
    t.is(existsSync(at(sb.lower, n)) ? readFileSync(at(sb.lower, n), 'utf8') : null, `file ${i}\n`, `gv0 ${show(n)}`)
    t.is(existsSync(at(sb.lower, 'd', n, n)) ? readFileSync(at(sb.lower, 'd', n, n), 'utf8') : null, `nested ${i}\n`, `gv0 d/${show(n)}/...`)
  }
  t.is(readFileSync(join(sb.lower, 'plain.txt'), 'utf8'), 'plain\n')
  a.saveState()
  await a.close()
  const e = await cli(['evict', '--config', sb.configFile])
  t.log(e.stdout, e.stderr)
  for (const [i, n] of ODD.entries()) {
    t.is(existsSync(at(sb.union, n)) ? readFileSync(at(sb.union, n), 'utf8') : null, `file ${i}\n`, `union after evict ${show(n)}`)
    t.is(existsSync(at(sb.union, 'd', n, n)) ? readFileSync(at(sb.union, 'd', n, n), 'utf8') : null, `nested ${i}\n`, `union after evict d/${show(n)}/...`)
  }
  t.log('upper after evict:', readdirSync(sb.upper, { encoding: 'buffer' }).map((x) => x.toString('latin1')))
})

test('odd names planted in gv0 by the other host: edited, deleted and renamed through the union', async (t) => {
  const sb = await sandbox(t, { settleSeconds: 0.05 }, { mount: false })
  for (const [i, n] of ODD.entries()) {
    writeFileSync(at(sb.lower, n), `remote ${i}\n`)
    mkdirSync(at(sb.lower, `dir${i}`))
    writeFileSync(at(sb.lower, `dir${i}`, n), `remote nested ${i}\n`)
  }
  sb.mount()
  const a = await sb.agent()
  for (const [i, n] of ODD.entries()) {
    writeFileSync(at(sb.union, n), `edited ${i}\n`, { flag: 'a' })
    if (i % 2) writeFileSync(at(sb.union, `dir${i}`, n), `replaced ${i}\n`)
    else (await import('node:fs')).unlinkSync(at(sb.union, `dir${i}`, n))
  }
  await sleep(100)
  const r = await a.flush({ wait: true, timeoutMs: 20_000, settleMs: 0 })
  t.log(r.message)
  for (const [i, n] of ODD.entries()) {
    t.is(readFileSync(at(sb.lower, n), 'utf8'), `remote ${i}\nedited ${i}\n`, `gv0 ${show(n)}`)
    if (i % 2) t.is(readFileSync(at(sb.lower, `dir${i}`, n), 'utf8'), `replaced ${i}\n`, `gv0 dir${i}/${show(n)}`)
    else t.false(existsSync(at(sb.lower, `dir${i}`, n)), `deleted in gv0: dir${i}/${show(n)}`)
  }
  const names = readdirSync(sb.lower, { encoding: 'buffer' }).map((x) => x.toString('latin1'))
  t.log(names)
  t.false(names.some((x) => x.includes('conflict-hydra')), 'no conflict copies')
  void lstatSync
})
