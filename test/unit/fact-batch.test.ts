import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import test from 'ava'
import { batchCommand, frameParts, parseBatch, type BatchPart } from '../../src/engine/fact-batch.ts'
import { sh } from '../../src/engine/command.ts'

const scripts = [
  sh`printf %s ${'no newline at the end'}`,
  sh`echo out; echo err >&2; exit 3`,
  sh`cat; echo "stdin was empty: $?"`,
  sh`printf '%s\n' ${'naïve ünïcödé $(touch /tmp/pwned) \'quoted\''}`,
  sh`printf '\n\n'`,
  { ...sh`true`, script: 'echo before # a comment at the end' },
  sh`printf '%s\n' ${'@@gfs-batch-0000 out 0 0'}`,
]

/** What each script prints when it runs on its own. */
function alone(script: string): BatchPart {
  const r = spawnSync('/bin/sh', ['-c', script], { input: '', encoding: 'utf8' })
  return { exitCode: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

test('a batch run by a real shell gives each command exactly what it gives alone', (t) => {
  const command = batchCommand(scripts)
  const stdout = execFileSync('/bin/sh', ['-c', command.script], { encoding: 'utf8' })
  const expected = scripts.map((s) => alone(s.script))
  t.deepEqual(parseBatch(stdout, command.batch.marker, scripts.length), expected)
  t.is(stdout, frameParts(expected, command.batch.marker))
  t.is(expected[1]!.exitCode, 3)
  t.is(expected[2]!.stdout, 'stdin was empty: 0\n')
})

test('an incomplete batch gives no part at all; a missing section gives no part for it', (t) => {
  const parts: BatchPart[] = [
    { exitCode: 0, stdout: 'a\n', stderr: '' },
    { exitCode: 1, stdout: '', stderr: 'b\n' },
  ]
  const marker = '@@m'
  const whole = frameParts(parts, marker)
  t.deepEqual(parseBatch(whole, marker, 2), parts)
  t.deepEqual(parseBatch(whole.slice(0, -5), marker, 2), [undefined, undefined])
  t.deepEqual(parseBatch('', marker, 2), [undefined, undefined])
  const withoutFirst = whole.slice(whole.indexOf(`\n${marker} out 1`))
  t.deepEqual(parseBatch(withoutFirst, marker, 2), [undefined, parts[1]])
})

test('each batch has its own marker, and the display lists what it reads', (t) => {
  const a = batchCommand(scripts.slice(0, 2))
  const b = batchCommand(scripts.slice(0, 2))
  t.not(a.batch.marker, b.batch.marker)
  t.is(a.display, `read 2 facts: ${scripts[0]!.display}; ${scripts[1]!.display}`)
})

test('the commands of a batch run at the same time, so a slow gluster call does not hold up the rest', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gfs-batch-'))
  const flag = join(dir, 'second-ran')
  // the first command can only finish once the second one has run: in sequence it would give up
  const first = sh`i=0; while [ ! -e ${flag} ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done; test -e ${flag} && echo saw it`
  const second = sh`touch ${flag}`
  const command = batchCommand([first, second])
  const parts = parseBatch(execFileSync('/bin/sh', ['-c', command.script], { encoding: 'utf8' }), command.batch.marker, 2)
  t.deepEqual(parts[0], { exitCode: 0, stdout: 'saw it\n', stderr: '' })
})
