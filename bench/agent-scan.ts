// Child process of the agent benchmark: opens an Agent on a prepared overlay (the full scan of the upper
// dir) and reports the scan time and this process's peak memory. Usage: agent-scan.ts DIR (with DIR/{upper,...}).
import { join } from 'node:path'
import { Agent } from '../src/agent/core/agent.ts'
import { parseConfig } from '../src/agent/service/config.ts'

const dir = process.argv[2]
if (!dir) throw new Error('usage: agent-scan.ts DIR')
const cfg = parseConfig({
  host: 'bench', upper: join(dir, 'upper'), work: join(dir, 'work'), lower: join(dir, 'lower'), union: join(dir, 'union'),
  stateDir: join(dir, 'state'), settleSeconds: 0, requireLowerMount: false,
})
const baselineRssMB = process.memoryUsage().rss / 1048576
const agent = new Agent(cfg)
const t0 = performance.now()
await agent.open()
const pending = agent.pending()
const scanSeconds = (performance.now() - t0) / 1000
process.stdout.write(JSON.stringify({
  entries: agent.entryCount,
  pendingEntries: pending.entries,
  scanSeconds,
  peakRssMB: process.resourceUsage().maxRSS / 1024,
  baselineRssMB,
}) + '\n')
process.exit(0)
