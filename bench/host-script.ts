// The workloads that run on a lab host, timed there so that the lab's exec overhead is not measured.
// The hosts have Debian's Node 18 (the agent's runtime); the script arrives on stdin: `node - CMD ARGS...`.

/** Source of the host-side program; every value it needs comes as an argv element, never as code. */
export const hostScript = String.raw`
const fs = require('node:fs')
const path = require('node:path')
const [cmd, ...args] = process.argv.slice(2)
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n')
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

// files DIR COUNT SIZE MAX_SECONDS WRITERS PREFIX: create COUNT files of SIZE bytes (stop after MAX_SECONDS)
async function files(dir, count, size, maxSeconds, writers, prefix) {
  const data = Buffer.alloc(size, 120)
  const t0 = process.hrtime.bigint()
  const deadline = Date.now() + maxSeconds * 1000
  let next = 0
  let done = 0
  const one = () => {
    for (;;) {
      if (next >= count || Date.now() > deadline) return
      const i = next++
      fs.writeFileSync(path.join(dir, prefix + i), data)
      done++
    }
  }
  if (writers <= 1) one()
  else {
    const worker = async () => {
      while (next < count && Date.now() <= deadline) {
        const i = next++
        await fs.promises.writeFile(path.join(dir, prefix + i), data)
        done++
      }
    }
    await Promise.all(Array.from({ length: writers }, worker))
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  out({ files: done, seconds, perSecond: done / seconds })
}

// filestree ROOT DIRS COUNT SIZE PREFIX: ROOT/d0 .. ROOT/d(DIRS-1) made, COUNT files of SIZE bytes in each
function filesTree(root, dirs, count, size, prefix) {
  const data = Buffer.alloc(size, 122)
  const t0 = process.hrtime.bigint()
  for (let d = 0; d < dirs; d++) fs.mkdirSync(path.join(root, 'd' + d), { recursive: true })
  for (let i = 0; i < count; i++) for (let d = 0; d < dirs; d++) fs.writeFileSync(path.join(root, 'd' + d, prefix + i), data)
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  out({ files: dirs * count, seconds, perSecond: (dirs * count) / seconds })
}

// write PATH SIZE: write one file, print the time it was closed
function write(file, size) {
  fs.writeFileSync(file, Buffer.alloc(size, 121))
  out({ closedAt: Date.now() })
}

// watch DIR COUNT SIZE TIMEOUT_SECONDS PREFIX [WINDOW_SECONDS]: when did the first entry (any name) appear in
// DIR, and when did all COUNT final names PREFIX0.. reach SIZE bytes; with a window, stop that many seconds
// after the first entry and say how many were complete by then
async function watch(dir, count, size, timeoutSeconds, prefix, windowSeconds) {
  const deadline = Date.now() + timeoutSeconds * 1000
  let first = null
  const remaining = new Set(Array.from({ length: count }, (_, i) => prefix + i))
  while (Date.now() < deadline) {
    let names = []
    try { names = fs.readdirSync(dir) } catch {}
    const now = Date.now()
    if (first === null && names.length > 0) first = now
    for (const n of names) {
      if (!remaining.has(n)) continue
      try { if (fs.statSync(path.join(dir, n)).size === size) remaining.delete(n) } catch {}
    }
    if (remaining.size === 0) return out({ first: first ?? now, done: now, complete: count })
    if (windowSeconds > 0 && first !== null && now - first >= windowSeconds * 1000) return out({ first, done: now, complete: count - remaining.size })
    await sleep(names.length > 200 ? 100 : 20)
  }
  out({ first, done: null, missing: remaining.size })
}

// watchtree ROOT DIRS COUNT SIZE TIMEOUT_SECONDS PREFIX WINDOW_SECONDS: watch over ROOT/d0 .. ROOT/d(DIRS-1), each to
// hold COUNT final names PREFIX0..; first is the first entry in any of them
async function watchTree(root, dirs, count, size, timeoutSeconds, prefix, windowSeconds) {
  const deadline = Date.now() + timeoutSeconds * 1000
  let first = null
  const total = dirs * count
  const remaining = new Map(Array.from({ length: dirs }, (_, d) => [path.join(root, 'd' + d), new Set(Array.from({ length: count }, (_, i) => prefix + i))]))
  let left = total
  while (Date.now() < deadline) {
    const now = Date.now()
    for (const [dir, want] of remaining) {
      let names = []
      try { names = fs.readdirSync(dir) } catch {}
      if (first === null && names.length > 0) first = now
      for (const n of names) {
        if (!want.has(n)) continue
        try { if (fs.statSync(path.join(dir, n)).size === size) { want.delete(n); left-- } } catch {}
      }
    }
    if (left === 0) return out({ first: first ?? now, done: now, complete: total })
    if (windowSeconds > 0 && first !== null && now - first >= windowSeconds * 1000) return out({ first, done: now, complete: total - left })
    await sleep(50)
  }
  out({ first, done: null, missing: left })
}

// cpu PID SECONDS: CPU time of a process over an interval, as a percentage of one core
async function cpu(pid, seconds) {
  const ticks = () => {
    const stat = fs.readFileSync('/proc/' + pid + '/stat', 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(fields[11]) + Number(fields[12])
  }
  const a = ticks()
  const t0 = Date.now()
  await sleep(seconds * 1000)
  const b = ticks()
  const hz = 100
  out({ cpuSeconds: (b - a) / hz, seconds: (Date.now() - t0) / 1000, percent: ((b - a) / hz) / ((Date.now() - t0) / 1000) * 100 })
}

const n = Number
const run = {
  files: () => files(args[0], n(args[1]), n(args[2]), n(args[3]), n(args[4]), args[5]),
  write: () => write(args[0], n(args[1])),
  filestree: () => filesTree(args[0], n(args[1]), n(args[2]), n(args[3]), args[4]),
  watch: () => watch(args[0], n(args[1]), n(args[2]), n(args[3]), args[4], n(args[5] ?? 0)),
  cpu: () => cpu(args[0], n(args[1])),
  watchtree: () => watchTree(args[0], n(args[1]), n(args[2]), n(args[3]), n(args[4]), args[5], n(args[6])),
}[cmd]
if (!run) { process.stderr.write('unknown command ' + cmd + '\n'); process.exit(64) }
Promise.resolve(run()).catch((e) => { process.stderr.write(String(e && e.stack || e) + '\n'); process.exit(1) })
`
