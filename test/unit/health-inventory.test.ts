// The inventory's `health` and `metrics_file` variables: read, checked with file and line, written to the agent.
import test from 'ava'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseConfig } from '../../src/agent/service/config.ts'
import { loadInventory } from '../../src/inventory/load.ts'
import { agentConfig } from '../../src/tasks/writecache.ts'
import { tempDir } from '../helpers/temp.ts'

const pair = `all:
  hosts:
    hydra:
      ansible_host: 10.0.0.1
    plexus:
      ansible_host: 10.0.0.2
  vars:
`

async function load(vars: string) {
  const dir = tempDir('inventory-health-')
  await writeFile(join(dir, 'inv.yaml'), pair + vars)
  return loadInventory('inv.yaml', { cwd: dir, inventoryDir: dir, homeDir: '/home/tester' })
}

const invalid = test.macro({
  async exec(t, vars: string, message: string) {
    const error = await t.throwsAsync(load(vars))
    t.is(error?.message, message)
  },
  title: (title = '') => `invalid: ${title}`,
})

test('health thresholds and metrics_file reach the agent config; the rest default', async (t) => {
  const inventory = await load(
    '    metrics_file: /srv/metrics/gfs.prom\n    health:\n      pending_age_warning_seconds: 60\n      agent_down: warning\n      errors_critical: 5\n',
  )
  const cfg = parseConfig(JSON.parse(JSON.stringify(agentConfig(inventory.hosts[0]!))))
  t.is(cfg.metricsFile, '/srv/metrics/gfs.prom')
  t.is(cfg.volume, 'gv0')
  t.like(cfg.health, { pendingAgeWarningSeconds: 60, pendingAgeCriticalSeconds: 43200, agentDown: 'warning', errorsWarning: 1, errorsCritical: 5, unionUnmounted: 'critical' })
})

test('unknown threshold, with a suggestion', invalid, '    health:\n      agent_dwn: warning\n',
  'inv.yaml:9: all.vars.health.agent_dwn: unknown health setting, expected one of pending_age_warning_seconds, pending_age_critical_seconds, errors_warning, errors_critical, agent_down, union_unmounted, gv0_read_only, split_brain, gluster_degraded (did you mean "agent_down"?)')
test('level outside its choices', invalid, '    health:\n      union_unmounted: page\n',
  'inv.yaml:9: all.vars.health.union_unmounted: expected one of critical, warning, ignore, got "page"')
test('negative seconds', invalid, '    health:\n      pending_age_critical_seconds: -1\n',
  'inv.yaml:9: all.vars.health.pending_age_critical_seconds: expected a number of seconds, 0 (off) or more, got -1')
test('fractional error count', invalid, '    health:\n      errors_warning: 1.5\n',
  'inv.yaml:9: all.vars.health.errors_warning: expected a whole number of errors, 0 (off) or more, got 1.5')
test('warning above critical blames the warning written', invalid, '    health:\n      pending_age_warning_seconds: 90000\n',
  'inv.yaml:9: all.vars.health.pending_age_warning_seconds: expected at most pending_age_critical_seconds (43200), got 90000')
test('critical below the default warning blames the critical', invalid, '    health:\n      pending_age_critical_seconds: 60\n',
  'inv.yaml:9: all.vars.health.pending_age_critical_seconds: expected at least pending_age_warning_seconds (3600) or 0 (off), got 60')
test('health not a mapping', invalid, '    health: strict\n',
  'inv.yaml:8: all.vars.health: expected a mapping of health thresholds, got "strict"')
test('relative metrics_file', invalid, '    metrics_file: gfs.prom\n',
  'inv.yaml:8: all.vars.metrics_file: expected an absolute path, got "gfs.prom"')
