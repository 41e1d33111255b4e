import test from 'ava'
import type { EngineEvent } from '../../src/engine/events.ts'
import { jsonSink } from '../../src/report/json.ts'
import { maskSecrets } from '../../src/report/mask.ts'
import { formatEvent, terminalSink } from '../../src/report/terminal.ts'

const recap: EngineEvent = {
  type: 'recap',
  hosts: {
    hydra: { ok: 12, changed: 3, failed: 0, skipped: 1, unreachable: false },
    plexus: { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: true },
  },
  durationMs: 4321,
}

const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '')

test('the JSON recap line has exactly the documented shape', (t) => {
  const lines: string[] = []
  jsonSink((s) => lines.push(s))(recap)
  t.is(
    lines[0],
    '{"type":"recap","hosts":{"hydra":{"ok":12,"changed":3,"failed":0,"skipped":1,"unreachable":false},"plexus":{"ok":0,"changed":0,"failed":0,"skipped":0,"unreachable":true}},"durationMs":4321}\n',
  )
})

test('terminal: task header, per-host status lines, and a PLAY RECAP', (t) => {
  let out = ''
  const sink = terminalSink({ write: (s) => (out += s) })
  sink({ type: 'task:start', task: 'gluster volume created' })
  sink({ type: 'task:end', host: 'hydra', task: 'gluster volume created', status: 'changed', changes: ['create gv0'], durationMs: 10 })
  sink({ type: 'task:end', host: 'plexus', task: 'x', status: 'unreachable', message: 'plexus: unreachable: connection refused', durationMs: 1 })
  sink(recap)
  const text = strip(out)
  t.regex(text, /TASK \[gluster volume created\] \*+/)
  t.regex(text, /changed: \[hydra\]\n  - create gv0/)
  t.regex(text, /UNREACHABLE!: \[plexus\]: plexus: unreachable: connection refused/)
  t.regex(text, /PLAY RECAP/)
  t.regex(text, /hydra +: ok=12 {2}changed=3 {2}unreachable=0 {2}failed=0 {2}skipped=1/)
  t.regex(text, /plexus +: ok=0 {2}changed=0 {2}unreachable=1/)
})

test('successful commands are shown only with --verbose', (t) => {
  const cmd: EngineEvent = { type: 'cmd', host: 'hydra', task: 't', command: 'systemctl start glusterd', exitCode: 0, durationMs: 5 }
  t.deepEqual(formatEvent(cmd), [])
  t.regex(strip(formatEvent(cmd, true)[0]!), /hydra: \$ systemctl start glusterd -> 0/)
})

test('diffs show removed and added lines', (t) => {
  const lines = formatEvent({
    type: 'task:end', host: 'hydra', task: 'fstab', status: 'changed', durationMs: 1, changes: ['set /gfs/gv0'],
    diffs: [{ path: '/etc/fstab', before: 'a\nold', after: 'a\nnew' }],
  }).map(strip)
  t.true(lines.includes('-old'))
  t.true(lines.includes('+new'))
  t.false(lines.includes('+a'))
})

test('diffs are unified hunks with context: a reordered or removed duplicate line shows', (t) => {
  const diff = (before: string, after: string) =>
    formatEvent({ type: 'task:end', host: 'hydra', task: 'fstab', status: 'changed', durationMs: 1, changes: ['x'], diffs: [{ path: '/etc/fstab', before, after }] })
      .map(strip)
      .filter((line) => /^([-+@]| [^ ])/.test(line))
  t.deepEqual(diff('a\nb\nb\nc\n', 'a\nb\nc\n'), ['--- /etc/fstab\tbefore', '+++ /etc/fstab\tafter', '@@ -1,4 +1,3 @@', ' a', ' b', '-b', ' c'])
  t.deepEqual(diff('1\n2\n3\n4\n5\n6\n7\n8\nx\ny\n', '1\n2\n3\n4\n5\n6\n7\n8\ny\nx\n'), [
    '--- /etc/fstab\tbefore', '+++ /etc/fstab\tafter', '@@ -6,5 +6,5 @@', ' 6', ' 7', ' 8', '-x', ' y', '+x',
  ])
})

test('secrets are masked in every field of every event', (t) => {
  const seen: EngineEvent[] = []
  const sink = maskSecrets((e) => seen.push(e), ['s3cr3t-pass'])
  sink({ type: 'cmd', host: 'h', task: 't', command: 'echo ok', exitCode: 1, durationMs: 1, stderr: 'sudo: wrong password s3cr3t-pass' })
  sink({ type: 'task:end', host: 'h', task: 't', status: 'failed', message: 'failed with s3cr3t-pass', durationMs: 1 })
  t.false(JSON.stringify(seen).includes('s3cr3t-pass'))
  t.regex(JSON.stringify(seen), /wrong password \*\*\*/)
})

test('terminal: on a terminal, progress rewrites one line; the next event clears it', (t) => {
  let out = ''
  const sink = terminalSink({ live: true, write: (s) => (out += s) })
  sink({ type: 'progress', host: 'hydra', task: 'pending heals', message: 'healing: 10 pending (try 1)' })
  sink({ type: 'progress', host: 'hydra', task: 'pending heals', message: 'healing: 4 pending (try 2)' })
  sink({ type: 'task:end', host: 'hydra', task: 'pending heals', status: 'changed', durationMs: 1 })
  t.is(out.split('\n').length, 2, 'one progress line, then the task line')
  t.true(out.startsWith('  hydra: healing: 10 pending (try 1)\r\x1b[K  hydra: healing: 4 pending (try 2)\r\x1b[K'))
  let piped = ''
  const log = terminalSink({ write: (s) => (piped += s) })
  log({ type: 'progress', host: 'hydra', task: 'x', message: 'a' })
  log({ type: 'progress', host: 'hydra', task: 'x', message: 'b' })
  t.is(piped, '  hydra: a\n  hydra: b\n', 'a log keeps every line')
})
