// Hosts and inventories as plain data, for planning tests that need no inventory file.
import type { Host, Inventory, Settings } from '../../src/inventory/types.ts'

export const settings: Settings = {
  volume: 'gv0',
  brick: '/data/brick1/gv0',
  brickForce: false,
  dataDisk: '/data',
  gv0Mount: '/gfs/gv0',
  unionMount: '/gfs/union',
  cacheUpper: '/data/writecache/upper',
  cacheWork: '/data/writecache/work',
  glusterOptions: {},
  splitBrainPolicy: 'none',
  tls: false,
  flush: { settleSeconds: 5, scanIntervalSeconds: 60, dentryDropSeconds: 10, highWatermarkPercent: 90, lowWatermarkPercent: 70 },
}

/** A host with default settings, overridable per test. */
export function host(name: string, overrides: Partial<Host> = {}, settingOverrides: Partial<Settings> = {}): Host {
  return {
    name,
    address: `${name}.test`,
    port: 22,
    user: 'root',
    become: false,
    role: 'storage',
    groups: ['all'],
    ...overrides,
    settings: { ...settings, ...settingOverrides },
  }
}

/** The seed's two hosts. */
export function inventory(hosts: Host[] = [host('hydra'), host('plexus')]): Inventory {
  return { file: '/tmp/test-inventory.yaml', hosts, knownHostsFile: '/tmp/test.known_hosts', trustNewHostKeys: false }
}
