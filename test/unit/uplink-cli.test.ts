// The host CLI's words for the upload limit: `limit VALUE|--clear`, `flush --now`.
import test from 'ava'
import { parseArgs } from '../../src/agent/service/cli-args.ts'

test('limit takes one value or --clear; flush takes --now', (t) => {
  t.like(parseArgs(['limit', '2M']), { command: 'limit', value: '2M', clear: false })
  t.like(parseArgs(['limit']), { command: 'limit', value: null, clear: false })
  t.like(parseArgs(['limit', '--clear', '--json']), { command: 'limit', value: null, clear: true, json: true })
  t.like(parseArgs(['flush', '--now', '--wait']), { command: 'flush', now: true, wait: true })
  t.like(parseArgs(['status', '--json', '--rescan']), { command: 'status', json: true, rescan: true })
  t.throws(() => parseArgs(['flush', '--rescan']), { message: '--rescan goes with status only' })
  t.throws(() => parseArgs(['limit', '2M', '--clear']), { message: 'limit takes a value or --clear, not both' })
  t.throws(() => parseArgs(['limit', '2M', '1M']), { message: 'unexpected argument "1M"' })
  t.throws(() => parseArgs(['status', 'x']), { message: 'unexpected argument "x"' })
})

test('on a terminal, flush --wait rewrites one progress line and clears it at the end', async (t) => {
  const { showProgress } = await import('../../src/agent/uplink/progress-display.ts')
  let raw = ''
  const lines: string[] = []
  let left = 3 << 20
  const p = showProgress({ tty: true, raw: (s) => (raw += s), out: (l) => lines.push(l) }, async () => {
    left -= 1 << 20
    return {
      pending: { entries: 1, bytes: 3 << 20 },
      uplink: { limit: '1 MiB/s', limitBytesPerSecond: 1 << 20, source: 'timetable', next: null, drainBytesPerSecond: 1 << 20, copiedBytes: (3 << 20) - left, etaSeconds: null },
    }
  })
  // two lines shown, however late a loaded machine runs the timer
  while (raw.split('\r').length < 3) await new Promise((r) => setTimeout(r, 50))
  p.stop()
  t.deepEqual(lines, [], 'no separate lines on a terminal')
  t.is(raw, '\r\x1b[K1 entries, 2.0 MiB left, 1.0 MiB/s (limit 1 MiB/s), ETA 2s\r\x1b[K1 entries, 1.0 MiB left, 1.0 MiB/s (limit 1 MiB/s), ETA 1s\r\x1b[K')
})
