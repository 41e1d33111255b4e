// inventory/lab.yaml: how the provisioner and the tests reach the lab hosts.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { inventoryPath, knownHostsPath, privateKeyPath } from './paths.ts'
import type { LabHost } from './topology.ts'

/** Renders the Ansible-style inventory for the lab hosts (the intruder is never listed; the arbiter with its role). */
export function renderInventory(hosts: LabHost[], keyPath = privateKeyPath, knownHosts = knownHostsPath): string {
  return [
    '# Written by `npm run lab -- up`; do not edit.',
    'all:',
    '  vars:',
    '    ansible_user: root',
    `    ansible_ssh_private_key_file: ${keyPath}`,
    `    known_hosts_file: ${knownHosts}`,
    '  hosts:',
    ...hosts.flatMap((h) => [`    ${h.name}:`, `      ansible_host: ${h.management}`, ...(h.role ? [`      role: ${h.role}`] : [])]),
    '',
  ].join('\n')
}

/** Writes inventory/lab.yaml so others can run the provisioner against the lab. */
export function writeInventory(hosts: LabHost[], path = inventoryPath): void {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, renderInventory(hosts))
}

/** Removes inventory/lab.yaml on `down`: it would point at hosts that no longer exist. */
export function removeInventory(path = inventoryPath): void {
  rmSync(path, { force: true })
}
