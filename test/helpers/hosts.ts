// Hosts and inventories as plain data, for planning tests that need no inventory file.
import { defaultSettings } from '../../src/inventory/schema.ts'
import type { Host, Inventory, Settings } from '../../src/inventory/types.ts'

/** The inventory's defaults, so planning tests see what a bare inventory gives. */
export const settings: Settings = structuredClone(defaultSettings) as Settings

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
