// The shipped alert rules and Grafana dashboard: valid, tested with promtool, and about metrics the agent writes.
import test from 'ava'
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { parse } from 'yaml'
import { healthDefaults } from '../../src/agent/service/defaults.ts'
import { renderMetrics } from '../../src/agent/service/metrics.ts'
import type { StatusReport } from '../../src/agent/service/status.ts'
import { withHealth } from '../../src/agent/health/report.ts'

const dir = fileURLToPath(new URL('../../monitoring/', import.meta.url))
const run = promisify(execFile)

// node_exporter's own metric about the textfile itself (the rules watch the file's age with it).
const fromNodeExporter = ['node_textfile_mtime_seconds']

/** Every metric name the agent writes, from a report with every optional part present. */
function agentMetrics(): Set<string> {
  const report: StatusReport = {
    version: '1', host: 'h', running: true, union: { path: '/u', mounted: true }, lower: { path: '/l', problem: null },
    pending: { entries: 0, bytes: 0, oldestAgeSeconds: 0 }, lastPublish: null, publishedTotal: 0, publishedBytesTotal: 0,
  unionLower: { setting: 'gv0', lower: 'gv0', path: '/gfs/gv0', reason: 'union_lower gv0' },
  uplink: { limit: 'off', limitBytesPerSecond: 0, source: 'timetable', next: null, drainBytesPerSecond: 0, copiedBytes: 0, etaSeconds: null },
    publishRateBytesPerSecond: 0, publishDurations: { count: 0, seconds: 0 }, errors: [], errorsTotal: 0, conflicts: 0, evictions: 0,
    cache: { usedPercent: 0, highWatermarkPercent: 90, lowWatermarkPercent: 70 },
  }
  const gluster = { checkedAt: new Date().toISOString(), problem: null, peersConnected: 1, peersTotal: 1, bricksOnline: 2, bricksTotal: 2, healPending: 0, splitBrain: 0, writable: true }
  const text = renderMetrics(withHealth(report, { health: healthDefaults }, gluster))
  return new Set([...text.matchAll(/^([a-z_:][a-z0-9_:]*)\{/gm)].map((m) => m[1]!))
}

const keywords = new Set(['and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'bool', 'offset', 'group_left', 'group_right'])

/** Metric names in a PromQL expression: identifiers that are not functions, keywords, labels, strings or durations. */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
  return [...bare.matchAll(/(?<![\w$.])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:])(?!\s*\()/g)]
    .map((m) => m[1]!)
    .filter((name) => !keywords.has(name) && !/^\d/.test(name))
}

test('metricNames: functions, labels, strings, ranges and keywords are not metrics', (t) => {
  t.deepEqual(metricNames('rate(a_total{host=~"$host"}[5m]) > 0 and b == 0 or sum by (host) (c)'), ['a_total', 'b', 'c'])
  t.deepEqual(metricNames('time() - node_textfile_mtime_seconds{file=~".*x.prom"} > 300'), ['node_textfile_mtime_seconds'])
})

test('promtool: the alert rules are valid, and their unit tests pass', async (t) => {
  const check = await run('promtool', ['check', 'rules', 'alerts.yaml'], { cwd: dir })
  t.regex(check.stdout, /SUCCESS: \d+ rules found/)
  const unit = await run('promtool', ['test', 'rules', 'alerts.test.yaml'], { cwd: dir })
  t.regex(unit.stdout, /SUCCESS/)
})

test('alert rules refer only to metrics the agent writes', (t) => {
  const known = new Set([...agentMetrics(), ...fromNodeExporter])
  const rules = (parse(readFileSync(`${dir}alerts.yaml`, 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] }).groups.flatMap((g) => g.rules)
  t.true(rules.length >= 10)
  for (const r of rules) {
    const names = metricNames(r.expr)
    t.true(names.length > 0, `${r.alert}: no metric in ${r.expr}`)
    for (const name of names) t.true(known.has(name), `${r.alert}: ${name} is not written by the agent`)
  }
  const covered = new Set(rules.flatMap((r) => metricNames(r.expr)))
  for (const name of ['gfs_writecache_up', 'gfs_writecache_union_mounted', 'gfs_writecache_gv0_writable', 'gfs_writecache_gluster_split_brain_entries', 'gfs_writecache_gluster_bricks_online', 'gfs_writecache_gluster_peers_connected', 'gfs_writecache_gluster_heal_pending_entries', 'gfs_writecache_oldest_pending_age_seconds', 'gfs_writecache_health_state']) {
    t.true(covered.has(name), `an alert watches ${name}`)
  }
})

test('Grafana dashboard: valid JSON, every panel queries only metrics the agent writes, filtered by $host', (t) => {
  const known = new Set(agentMetrics())
  const dashboard = JSON.parse(readFileSync(`${dir}grafana-dashboard.json`, 'utf8')) as {
    uid: string
    panels: { title: string; gridPos: object; targets: { expr: string }[] }[]
    templating: { list: { name: string }[] }
  }
  t.is(dashboard.uid, 'gfs-writecache')
  t.deepEqual(dashboard.templating.list.map((v) => v.name), ['datasource', 'host'])
  t.true(dashboard.panels.length >= 10)
  const titles = new Set<string>()
  for (const p of dashboard.panels) {
    t.false(titles.has(p.title), `one panel titled ${p.title}`)
    titles.add(p.title)
    t.truthy(p.gridPos)
    t.true(p.targets.length > 0, `${p.title} has a query`)
    for (const { expr } of p.targets) {
      t.regex(expr, /host=~"\$host"/, `${p.title}: ${expr} follows the host picker`)
      for (const name of metricNames(expr)) t.true(known.has(name), `${p.title}: ${name} is not written by the agent`)
    }
  }
})
