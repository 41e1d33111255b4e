// Writers the open-descriptor check cannot see: a MAP_SHARED writable mapping with its fd closed.
import test from 'ava'
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseMaps, writesToFile } from '../../src/agent/watch/mappings.ts'
import { flushAll, sandbox, sleep, text } from './helpers.ts'

// mmap through libc (Python's mmap module keeps a dup of the fd open, which would hide the point):
// map the file shared and writable, close the fd, write 'M' at 0, say ready, and on stdin's end write
// 'm' at 1 and exit (the kernel writes the dirty page back)
const MMAP_WRITER = `
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
fd = os.open(sys.argv[1], os.O_RDWR)
addr = libc.mmap(None, 4096, 3, 1, fd, 0)
os.close(fd)
ctypes.memmove(addr, b'M', 1)
print('ready', flush=True)
sys.stdin.read()
ctypes.memmove(addr + 1, b'm', 1)
`

async function mmapWriter(path: string): Promise<{ child: ChildProcessWithoutNullStreams; exited: Promise<unknown> }> {
  const child = spawn('python3', ['-c', MMAP_WRITER, path])
  const exited = new Promise((r) => child.on('exit', r))
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve())
    child.once('exit', (code) => reject(new Error(`mmap writer exited with ${code}`)))
  })
  return { child, exited }
}

test('maps: file mappings parsed from real /proc/PID/maps lines; only shared writable ones write to the file', (t) => {
  // captured on this machine (kernel 6.18): a writer mapping through the union, one mapping upper
  // directly, a private read-only library mapping, anonymous and special mappings
  const text = [
    '7f5a59481000-7f5a59482000 rw-s 00000000 00:59 2400339                    /tmp/mm/union/up',
    '7f3c140ae000-7f3c140af000 rw-s 00000000 fe:00 2400339                    /tmp/mm/upper/up',
    '7f9fb7d41000-7f9fb7d42000 rw-s 00000000 fe:00 2195502                    /tmp/mmn/a b\\012c',
    '7f3c13e00000-7f3c13e28000 r--p 00000000 fe:00 1835260                    /usr/lib/x86_64-linux-gnu/libc.so.6',
    '7f3c140a0000-7f3c140a2000 rw-p 00000000 00:00 0 ',
    '7ffd5b9e6000-7ffd5ba07000 rw-p 00000000 00:00 0                          [stack]',
    '',
  ].join('\n')
  const maps = parseMaps(text)
  t.deepEqual(
    maps.map((m) => [m.range, m.path, writesToFile(m)]),
    [
      ['7f5a59481000-7f5a59482000', '/tmp/mm/union/up', true],
      ['7f3c140ae000-7f3c140af000', '/tmp/mm/upper/up', true],
      ['7f9fb7d41000-7f9fb7d42000', '/tmp/mmn/a b\\012c', true],
      ['7f3c13e00000-7f3c13e28000', '/usr/lib/x86_64-linux-gnu/libc.so.6', false],
    ],
  )
})

test('a file written through a shared mapping with its fd closed is not published until the mapping goes', async (t) => {
  const sb = await sandbox(t)
  const agent = await sb.agent()
  writeFileSync(join(sb.union, 'via-union.db'), 'xxxx')
  writeFileSync(join(sb.union, 'via-upper.db'), 'xxxx') // created through the union: lives in upper
  await sleep(20)
  const writers = [await mmapWriter(join(sb.union, 'via-union.db')), await mmapWriter(join(sb.upper, 'via-upper.db'))]
  t.teardown(() => writers.forEach((w) => w.child.kill()))
  for (let i = 0; i < 3; i++) {
    await agent.flush({ wait: false, timeoutMs: 0, settleMs: 0 })
    t.false(existsSync(join(sb.lower, 'via-union.db')), 'not published while mapped through the union')
    t.false(existsSync(join(sb.lower, 'via-upper.db')), 'not published while mapped through upper')
    await sleep(50)
  }
  const reasons = agent.pending().reasons.join('; ')
  for (const [name, w] of [['via-union.db', writers[0]], ['via-upper.db', writers[1]]] as const) {
    t.regex(reasons, new RegExp(`${name}: mapped shared and writable by pid ${w.child.pid}`))
  }
  for (const w of writers) {
    w.child.stdin.end()
    await w.exited
  }
  await flushAll(t, agent)
  t.is(text(join(sb.lower, 'via-union.db')), 'Mmxx')
  t.is(text(join(sb.lower, 'via-upper.db')), 'Mmxx')
})
