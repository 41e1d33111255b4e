// A file's first publish takes its free name with link(2) without looking the name up in gv0 first: on a
// gluster mount each such lookup holds the directory's lock for a WAN round trip (docs/drain.md). A name
// taken after all is judged as before: the other host's file stays, the local one becomes a conflict copy.
// Serial: both tests patch SafeTree.prototype, which every agent in this process shares.
import test from 'ava'
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SafeTree } from '../../src/agent/fs/safe-fs.ts'
import { fromBytes, type Bytes } from '../../src/agent/fs/paths.ts'
import { isTempName } from '../../src/agent/publish/temp-files.ts'
import { flushAll, sandbox, text } from './helpers.ts'

type Op = ['look' | 'link' | 'rename', string]

/** Records what the agent asks of gv0 (label 'gv0'), in order, while `body` runs. */
async function recordingGv0<T>(body: (ops: Op[]) => Promise<T>): Promise<T> {
  const ops: Op[] = []
  const proto = SafeTree.prototype
  const orig = { lstat: proto.lstat, link: proto.link, rename: proto.rename }
  // lstatOrNull goes through lstat: recorded there
  proto.lstat = function (this: SafeTree, rel: Bytes) {
    if (this.label === 'gv0') ops.push(['look', fromBytes(rel)])
    return orig.lstat.call(this, rel)
  }
  proto.link = function (this: SafeTree, from: Bytes, to: Bytes) {
    if (this.label === 'gv0') ops.push(['link', fromBytes(to)])
    return orig.link.call(this, from, to)
  }
  proto.rename = function (this: SafeTree, from: Bytes, to: Bytes) {
    if (this.label === 'gv0') ops.push(['rename', fromBytes(to)])
    return orig.rename.call(this, from, to)
  }
  try {
    return await body(ops)
  } finally {
    Object.assign(proto, orig)
  }
}

test.serial('new files into a directory gv0 has: each name is linked without a lookup of it first; a name the other host took keeps its file', async (t) => {
  const sb = await sandbox(t)
  mkdirSync(join(sb.lower, 'd'))
  writeFileSync(join(sb.lower, 'd', 'old'), 'gv0 before\n')
  const agent = await sb.agent()
  readdirSync(join(sb.union, 'd'))
  t.throws(() => readFileSync(join(sb.union, 'd', 'taken')), { code: 'ENOENT' }) // the union caches "no such name"
  writeFileSync(join(sb.lower, 'd', 'taken'), 'theirs\n') // the other host takes it meanwhile
  const names = Array.from({ length: 30 }, (_, i) => `f${i}`)
  for (const n of names) writeFileSync(join(sb.union, 'd', n), `mine ${n}\n`)
  writeFileSync(join(sb.union, 'd', 'taken'), 'mine\n')
  const ops = await recordingGv0(async (ops) => {
    await flushAll(t, agent)
    return ops
  })
  for (const n of names) {
    t.is(text(join(sb.lower, 'd', n)), `mine ${n}\n`)
    const rel = `d/${n}`
    const linked = ops.findIndex(([op, p]) => op === 'link' && p === rel)
    t.true(linked >= 0, `${rel} linked into place`)
    const lookedBefore = ops.slice(0, linked).filter(([op, p]) => op === 'look' && p === rel)
    t.deepEqual(lookedBefore, [], `no lookup of ${rel} before its link`)
  }
  t.is(text(join(sb.lower, 'd', 'taken')), 'theirs\n', "the other host's file stays at its name")
  const copies = readdirSync(join(sb.lower, 'd')).filter((n) => n.startsWith('taken.conflict-hydra-'))
  t.is(copies.length, 1, 'the local version is a conflict copy')
  t.is(text(join(sb.lower, 'd', copies[0]!)), 'mine\n')
  t.is(text(join(sb.lower, 'd', 'old')), 'gv0 before\n')
  t.deepEqual(readdirSync(join(sb.lower, 'd')).filter(isTempName), [], 'no temporary left')
  t.deepEqual(
    agent.conflicts().map((c) => `${c.kind} ${c.path}`),
    ['modified-both d/taken'],
  )
})

test.serial('a gv0 that refuses hard links: a first publish without a lookup still never replaces the file the other host put at the name', async (t) => {
  const sb = await sandbox(t)
  mkdirSync(join(sb.lower, 'd'))
  const agent = await sb.agent()
  t.throws(() => readFileSync(join(sb.union, 'd', 'taken')), { code: 'ENOENT' })
  writeFileSync(join(sb.lower, 'd', 'taken'), 'theirs\n')
  writeFileSync(join(sb.union, 'd', 'taken'), 'mine\n')
  writeFileSync(join(sb.union, 'd', 'free'), 'free\n')
  const proto = SafeTree.prototype
  const link = proto.link
  proto.link = function (this: SafeTree, from: Bytes, to: Bytes) {
    if (this.label !== 'gv0') return link.call(this, from, to)
    const err: NodeJS.ErrnoException = new Error('EPERM: operation not permitted, link')
    err.code = 'EPERM'
    return Promise.reject(err)
  }
  try {
    await flushAll(t, agent)
  } finally {
    proto.link = link
  }
  t.is(text(join(sb.lower, 'd', 'taken')), 'theirs\n')
  const copies = readdirSync(join(sb.lower, 'd')).filter((n) => n.startsWith('taken.conflict-hydra-'))
  t.is(copies.length, 1)
  t.is(text(join(sb.lower, 'd', copies[0]!)), 'mine\n')
  t.is(text(join(sb.lower, 'd', 'free')), 'free\n')
  t.deepEqual(readdirSync(join(sb.lower, 'd')).filter(isTempName), [])
})
