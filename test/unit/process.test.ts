// The controller's process layer: argv and input arrive intact, exits and timeouts read like a shell's.
import test from 'ava'
import { createHash, randomBytes } from 'node:crypto'
import { runProcess } from '../../src/engine/process.ts'

const hard = ["it's", 'double "quoted"', '$(echo pwned)', '`echo pwned`', 'new\nline', 'tab\there', 'glob * ?', '-dash', 'ünï ✓ 名前', '', "'", '\\back\\slash', '${HOME}', "$'x'", '!bang']

test('every argument arrives as it was given, none is run by a shell', async (t) => {
  const r = await runProcess(['printf', '%s\\0', ...hard])
  t.is(r.exitCode, 0)
  t.deepEqual(r.stdout.split('\0').slice(0, -1), hard)
})

test('binary input arrives whole; the result has the engine\'s shape', async (t) => {
  const input = randomBytes(300_000)
  const r = await runProcess(['sha256sum'], { input, host: 'controller', display: 'digest' })
  t.like(r, { host: 'controller', command: 'digest', exitCode: 0, stderr: '' })
  t.is(r.stdout.split(' ')[0], createHash('sha256').update(input).digest('hex'))
  t.true(r.durationMs >= 0)
})

test('a failed program, a missing one and a timeout are exit codes, not exceptions', async (t) => {
  t.like(await runProcess(['sh', '-c', 'echo oops >&2; exit 3']), { exitCode: 3, stderr: 'oops\n' })
  const missing = await runProcess(['no-such-program-gfs'])
  t.is(missing.exitCode, 127)
  t.regex(missing.stderr, /no-such-program-gfs/)
  const t0 = Date.now()
  const slow = await runProcess(['sleep', '30'], { timeoutMs: 300, timeoutSignal: 'SIGKILL' })
  t.true(Date.now() - t0 < 10_000)
  t.not(slow.exitCode, 0)
})

test('stdout is streamed while the program runs', async (t) => {
  const chunks: string[] = []
  const r = await runProcess(['sh', '-c', 'echo one; sleep 0.2; echo two'], { onStdout: (c) => chunks.push(c.toString()) })
  t.is(chunks.join(''), 'one\ntwo\n')
  t.is(r.stdout, 'one\ntwo\n')
})
