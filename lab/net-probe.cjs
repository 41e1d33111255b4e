// Measures the lab's WAN from inside a host (Node 18, no dependencies); used by the lab's tests.
//   node net-probe.cjs serve PORT            echo server for pingpong, sink for send (one-shot per connection)
//   node net-probe.cjs pingpong HOST PORT N  prints JSON {rttMs: median of N one-byte round trips}
//   node net-probe.cjs send HOST PORT BYTES  prints JSON {bytes, seconds, kbit} once the sink acknowledged all bytes
'use strict'
const net = require('net')
const [mode, a, b, c] = process.argv.slice(2)

if (mode === 'serve') {
  net.createServer((sock) => {
    sock.setNoDelay(true)
    let kind = null
    let expected = 0
    let got = 0
    let head = Buffer.alloc(0)
    sock.on('data', (d) => {
      if (kind === null) {
        head = Buffer.concat([head, d])
        if (head.length < 9) return
        kind = head[0] === 0x50 ? 'ping' : 'sink'
        expected = Number(head.readBigUInt64BE(1))
        d = head.subarray(9)
      }
      if (kind === 'ping') { if (d.length) sock.write(d) }
      else { got += d.length; if (got >= expected) sock.end('k') }
    })
    sock.on('error', () => {})
  }).listen(Number(a), () => console.log('listening'))
} else if (mode === 'pingpong') {
  const n = Number(c)
  const sock = net.connect(Number(b), a, () => {
    sock.setNoDelay(true)
    const h = Buffer.alloc(9); h[0] = 0x50; sock.write(h)
    const times = []
    let t0 = process.hrtime.bigint()
    sock.write('x')
    sock.on('data', (d) => {
      for (let i = 0; i < d.length; i++) {
        times.push(Number(process.hrtime.bigint() - t0) / 1e6)
        if (times.length >= n) {
          times.sort((x, y) => x - y)
          console.log(JSON.stringify({ rttMs: times[Math.floor(times.length / 2)], minMs: times[0], maxMs: times[times.length - 1] }))
          sock.destroy()
          return
        }
        t0 = process.hrtime.bigint()
        sock.write('x')
      }
    })
  })
} else if (mode === 'send') {
  const bytes = Number(c)
  const sock = net.connect(Number(b), a, () => {
    const h = Buffer.alloc(9); h[0] = 0x53; h.writeBigUInt64BE(BigInt(bytes), 1); sock.write(h)
    const t0 = process.hrtime.bigint()
    const chunk = Buffer.alloc(64 * 1024, 0x61)
    let left = bytes
    const pump = () => {
      while (left > 0) {
        const part = left >= chunk.length ? chunk : chunk.subarray(0, left)
        left -= part.length
        if (!sock.write(part)) return sock.once('drain', pump)
      }
    }
    sock.on('data', () => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9
      console.log(JSON.stringify({ bytes, seconds, kbit: (bytes * 8) / 1000 / seconds }))
      sock.destroy()
    })
    pump()
  })
} else {
  console.error('usage: net-probe.cjs serve PORT | pingpong HOST PORT N | send HOST PORT BYTES')
  process.exit(2)
}
