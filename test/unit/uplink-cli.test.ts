// The host CLI's words for the upload limit: `limit VALUE|--clear`, `flush --now`.
import test from 'ava'
import { parseArgs } from '../../src/agent/service/cli.ts'

test('limit takes one value or --clear; flush takes --now', (t) => {
  t.like(parseArgs(['limit', '2M']), { command: 'limit', value: '2M', clear: false })
  t.like(parseArgs(['limit']), { command: 'limit', value: null, clear: false })
  t.like(parseArgs(['limit', '--clear', '--json']), { command: 'limit', value: null, clear: true, json: true })
  t.like(parseArgs(['flush', '--now', '--wait']), { command: 'flush', now: true, wait: true })
  t.throws(() => parseArgs(['limit', '2M', '--clear']), { message: 'limit takes a value or --clear, not both' })
  t.throws(() => parseArgs(['limit', '2M', '1M']), { message: 'unexpected argument "1M"' })
  t.throws(() => parseArgs(['status', 'x']), { message: 'unexpected argument "x"' })
})
