// The demo's closing table: dd's summary read, the rows and the speedup from the two times.
import test from 'ava'
import { formatSeedTable, parseDd } from '../../src/cli/demo-table.ts'

test('parseDd reads bytes and seconds from dd\'s summary, refuses anything else', (t) => {
  const stderr = '1024+0 records in\n1024+0 records out\n1048576 bytes (1.0 MB, 1.0 MiB) copied, 3.61427 s, 290 kB/s\n'
  t.deepEqual(parseDd(stderr), { bytes: 1048576, seconds: 3.61427 })
  t.throws(() => parseDd('dd: failed to open'), { message: /cannot read dd's summary: dd: failed to open/ })
})

test('the table: rates, times, the speedup from the same 1 MiB, the drain', (t) => {
  const lines = formatSeedTable(
    { link: { kbit: 2500, rttMs: 30 }, gv0: { bytes: 1048576, seconds: 3.65 }, union: { bytes: 1048576, seconds: 0.015 }, drainSeconds: 10.44 },
    5,
  )
  t.deepEqual(lines, [
    "link 2500 kbit/s, 30 ms RTT (tc tbf and the lab's delay line)",
    '  1 MiB in 1 KiB blocks (dd conv=fsync)           rate     time',
    '  into /gfs/gv0 (gluster over the WAN)        287 kB/s   3.65 s',
    '  into /gfs/union (the write cache)          69.9 MB/s  0.015 s',
    '  speedup                                         243x',
    '  drain into gv0 (flush --wait, 5 s settle)              10.4 s',
  ])
})
