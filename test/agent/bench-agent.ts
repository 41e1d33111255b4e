// Benchmark (not a test): scan of 100k upper entries (time, memory) and small-file publish rate
// into a local lower dir. Run as root: node --import tsx test/agent/bench-agent.ts [entries]
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Agent } from '../../src/agent/agent.ts'
import { parseConfig } from '../../src/agent/config.ts'
import { overlayOptions } from '../../src/agent/mounts.ts'

const entries = Number(process.argv[2] ?? 100_000)
const dir = mkdtempSync('/tmp/gfswc-bench-')
for (const d of ['lower', 'upper', 'work', 'union', 'state']) mkdirSync(join(dir, d))
const cfg = parseConfig({
  host: 'bench', upper: join(dir, 'upper'), work: join(dir, 'work'), lower: join(dir, 'lower'), union: join(dir, 'union'),
  stateDir: join(dir, 'state'), settleSeconds: 0, requireLowerMount: false, publishConcurrency: 8,
})
const perDir = 100
for (let d = 0; d < entries / perDir; d++) {
  mkdirSync(join(cfg.upper, `d${d}`))
  for (let f = 0; f < perDir; f++) writeFileSync(join(cfg.upper, `d${d}`, `file-${f}.txt`), `entry ${d}/${f}\n`)
}
execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', overlayOptions(cfg), cfg.union])
try {
  const mb = () => Math.round(process.memoryUsage().rss / 1048576)
  const rss0 = mb()
  const agent = new Agent(cfg)
  let t0 = performance.now()
  await agent.open()
  const scanS = (performance.now() - t0) / 1000
  t0 = performance.now()
  const p = agent.pending()
  const pendingS = (performance.now() - t0) / 1000
  console.log(`scan of ${agent.index.entries.size} upper entries: ${scanS.toFixed(2)} s, pending() ${pendingS.toFixed(2)} s, ` +
    `rss ${rss0} -> ${mb()} MB, pending ${p.entries} entries / ${p.bytes} bytes`)
  t0 = performance.now()
  const r = await agent.flush({ wait: true, timeoutMs: 600_000 })
  const pubS = (performance.now() - t0) / 1000
  console.log(`publish of ${entries} small files into a local lower: ${pubS.toFixed(1)} s = ${Math.round(entries / pubS)} files/s (${r.message}), rss ${mb()} MB`)
  t0 = performance.now()
  agent.state.dirty = true
  agent.saveState()
  console.log(`state save with ${agent.state.records.size} records: ${((performance.now() - t0) / 1000).toFixed(2)} s`)
  t0 = performance.now()
  await agent.index.fullScan()
  agent.pending()
  console.log(`rescan + pending with everything published: ${((performance.now() - t0) / 1000).toFixed(2)} s, rss ${mb()} MB`)
} finally {
  execFileSync('umount', [cfg.union])
  rmSync(dir, { recursive: true, force: true })
}
