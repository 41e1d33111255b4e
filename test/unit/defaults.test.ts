// The agent on a host and the inventory that configures it must agree on every default.
import test from 'ava'
import { parseConfig } from '../../src/agent/service/config.ts'
import { layoutDefaults } from '../../src/agent/service/defaults.ts'
import { defaultSettings } from '../../src/inventory/schema.ts'
import { agentConfig } from '../../src/tasks/writecache.ts'
import { host } from '../helpers/hosts.ts'

const required = { host: 'hydra', upper: '/data/writecache/upper', work: '/data/writecache/work', lower: '/gfs/gv0', union: '/gfs/union' }

test('an agent config without flush settings gets the documented defaults, the inventory\'s', (t) => {
  const config = parseConfig(required)
  const documented = { settleSeconds: 5, scanIntervalSeconds: 60, dentryDropSeconds: 10, highWatermarkPercent: 90, lowWatermarkPercent: 70, bandwidth: 'off', onStopSeconds: 0, drainMounts: 16 }
  t.like(config, documented)
  t.deepEqual(defaultSettings.flush, documented)
})

test('the config the inventory writes for a default host is what the agent assumes without one', (t) => {
  const written = parseConfig(JSON.parse(JSON.stringify(agentConfig(host('hydra')))))
  // one difference on purpose: provisioning gives the union its own gv0 client, a bare config has none
  t.deepEqual(written, { ...parseConfig(required), unionLowerMount: layoutDefaults.unionLowerMount })
  t.is(parseConfig(required).unionLowerMount, '')
})

test("a gluster_options md-cache timeout longer than gluster's second makes the agent hold a changed name's lock longer", (t) => {
  t.is(parseConfig(required).nameLockHoldSeconds, 3)
  const h = host('hydra')
  t.is(parseConfig(JSON.parse(JSON.stringify(agentConfig(h)))).nameLockHoldSeconds, 3)
  const cached = { ...h, settings: { ...h.settings, glusterOptions: { 'performance.md-cache-timeout': '10' } } }
  t.is(parseConfig(JSON.parse(JSON.stringify(agentConfig(cached)))).nameLockHoldSeconds, 12)
})
