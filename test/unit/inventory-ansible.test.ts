// Inventories as Ansible reads them: INI, directories, group_vars, other hosts and the user's own variables,
// checked against Ansible's documented examples and, where it is installed, `ansible-inventory --list`.
import test from 'ava'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { InventoryError } from '../../src/engine/errors.ts'
import { listInventory } from '../../src/inventory/list.ts'
import { loadInventory } from '../../src/inventory/load.ts'
import { fixture } from '../helpers/inventory-files.ts'

const fixtures = fileURLToPath(new URL('../fixtures/inventories/', import.meta.url))


// Each test inventory, as Ansible's docs write it, and what Ansible makes of it.
const documented: [string, Record<string, { groups: string[]; vars?: Record<string, unknown> }>][] = [
  ['docs-ini/hosts', {
    'mail.example.com': { groups: [] },
    'foo.example.com': { groups: ['webservers'] },
    'bar.example.com': { groups: ['webservers'] },
    'one.example.com': { groups: ['dbservers'] },
    'two.example.com': { groups: ['dbservers'] },
    'three.example.com': { groups: ['dbservers'] },
  }],
  ['docs-yaml/hosts.yaml', {
    'mail.example.com': { groups: [] },
    'foo.example.com': { groups: ['east', 'prod', 'webservers'] },
    'bar.example.com': { groups: ['test', 'webservers', 'west'] },
    'one.example.com': { groups: ['dbservers', 'east', 'prod'] },
    'two.example.com': { groups: ['dbservers', 'east', 'prod'] },
    'three.example.com': { groups: ['dbservers', 'test', 'west'] },
  }],
  ['docs-children/hosts', {
    host1: { groups: ['atlanta', 'southeast', 'usa'], vars: { http_port: 80, maxRequestsPerChild: 808, some_server: 'foo.southeast.example.com', halon_system_timeout: 30, self_destruct_countdown: 60, escape_pods: 2 } },
    host2: { groups: ['atlanta', 'raleigh', 'southeast', 'usa'], vars: { http_port: 303, maxRequestsPerChild: 909, some_server: 'foo.southeast.example.com', halon_system_timeout: 30, self_destruct_countdown: 60, escape_pods: 2 } },
    host3: { groups: ['raleigh', 'southeast', 'usa'] },
    localhost: { groups: ['targets'], vars: { ansible_connection: 'local' } },
    'other1.example.com': { groups: ['targets'], vars: { ansible_connection: 'ssh', ansible_user: 'myuser' } },
    'badwolf.example.com': { groups: ['targets'], vars: { ansible_port: 5309 } },
    jumper: { groups: ['targets'], vars: { ansible_port: 5555, ansible_host: '192.0.2.50' } },
  }],
  ['docs-vars/inventory.yaml', {
    host1: { groups: ['atlanta', 'southeast'], vars: { http_port: 80, maxRequestsPerChild: 808, ntp_server: 'ntp.atlanta.example.com', proxy: 'proxy.atlanta.example.com', some_server: 'foo.southeast.example.com', halon_system_timeout: 30 } },
    host2: { groups: ['atlanta', 'raleigh', 'southeast'] },
    host3: { groups: ['raleigh', 'southeast'], vars: { some_server: 'foo.southeast.example.com', halon_system_timeout: 30 } },
  }],
  ['dir-mixed', {
    hydra: { groups: ['gfs_storage'], vars: { ansible_host: '10.0.0.1', ntp_server: 'pool.ntp.org', timezone: 'Europe/Zurich', tls: false } },
    plexus: { groups: ['gfs_storage'], vars: { ansible_host: '10.0.0.2', ansible_port: 2222, ntp_server: 'pool.ntp.org', timezone: 'Europe/Zurich', tls: false } },
    grafana: { groups: ['monitoring'], vars: { ansible_host: '10.0.0.9', ansible_user: 'admin', timezone: 'Europe/Zurich', tls: false } },
  }],
  ['monitoring/hosts.yml', {
    hydra: { groups: ['gfs_storage'] },
    plexus: { groups: ['gfs_storage'] },
    witness: { groups: ['gfs_arbiter'] },
    prometheus: { groups: ['monitoring'], vars: { ansible_host: '10.0.0.9', ntp_server: 'pool.ntp.org', retention_days: 30 } },
  }],
]

for (const [source, expected] of documented) {
  test(`reads ${source} as Ansible's docs describe it`, async (t) => {
    const listed = await listInventory(join(fixtures, source))
    t.deepEqual(Object.keys(listed).sort(), Object.keys(expected).sort())
    for (const [host, { groups, vars }] of Object.entries(expected)) {
      t.deepEqual(listed[host]!.groups, groups, host)
      if (vars) t.deepEqual(listed[host]!.vars, vars, host)
    }
  })
}

// Where Ansible is installed (Debian's ansible package), our reading must be Ansible's own.
const ansibleInventory = (() => {
  try {
    execFileSync('ansible-inventory', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

interface AnsibleList {
  _meta: { hostvars: Record<string, Record<string, unknown>> }
  [group: string]: { hosts?: string[]; children?: string[] } | AnsibleList['_meta']
}

function ansibleGroups(list: AnsibleList, host: string): string[] {
  const parents = new Map<string, string[]>()
  const direct: string[] = []
  for (const [name, group] of Object.entries(list)) {
    if (name === '_meta') continue
    const { hosts = [], children = [] } = group as { hosts?: string[]; children?: string[] }
    if (hosts.includes(host)) direct.push(name)
    for (const child of children) parents.set(child, [...(parents.get(child) ?? []), name])
  }
  const found = new Set<string>()
  const visit = (name: string): void => {
    if (found.has(name)) return
    found.add(name)
    for (const parent of parents.get(name) ?? []) visit(parent)
  }
  direct.forEach(visit)
  return [...found].filter((name) => name !== 'all' && name !== 'ungrouped').sort()
}

if (ansibleInventory) {
  for (const [source] of documented) {
    test(`ansible-inventory --list reads ${source} as we do`, async (t) => {
      const output = execFileSync('ansible-inventory', ['-i', join(fixtures, source), '--list'], {
        encoding: 'utf8',
        env: { ...process.env, ANSIBLE_INVENTORY_UNPARSED_FAILED: 'true', ANSIBLE_LOCALHOST_WARNING: 'false' },
      })
      const ansible = JSON.parse(output) as AnsibleList
      const ours = await listInventory(join(fixtures, source))
      const hosts = new Set([...Object.keys(ours), ...Object.keys(ansible._meta.hostvars)])
      for (const host of hosts) {
        t.deepEqual(ours[host]?.groups, ansibleGroups(ansible, host), `${host}: groups`)
        t.deepEqual(ours[host]?.vars, ansible._meta.hostvars[host] ?? {}, `${host}: variables`)
      }
    })
  }
}

test('the appliance is the hosts of gfs_storage and gfs_arbiter; others are left alone', async (t) => {
  const inventory = await loadInventory(join(fixtures, 'monitoring/hosts.yml'), { cwd: fixtures })
  t.deepEqual(inventory.hosts.map((h) => [h.name, h.role, h.address]), [['hydra', 'storage', '10.0.0.1'], ['plexus', 'storage', '10.0.0.2'], ['witness', 'arbiter', '10.0.0.3']])
  t.deepEqual(inventory.ignoredHosts, ['prometheus'])
  t.deepEqual(inventory.userVariables?.map((v) => `${v.name} ${v.origin.file}:${v.origin.line}`), ['ntp_server monitoring/hosts.yml:3'])
})

test('a directory inventory: YAML and INI files, group_vars and host_vars inside; .ini and .txt skipped as Ansible does', async (t) => {
  const dir = join(fixtures, 'dir-mixed')
  const inventory = await loadInventory(dir, { cwd: fixtures })
  t.deepEqual(inventory.hosts.map((h) => [h.name, h.address, h.port, h.settings.tls]), [['hydra', '10.0.0.1', 22, false], ['plexus', '10.0.0.2', 2222, false]])
  t.deepEqual(inventory.ignoredHosts, ['grafana'])
  t.is(inventory.knownHostsFile, join(fixtures, 'dir-mixed.known_hosts'))
})

test('an INI inventory file with our variables, typed as Ansible types them', async (t) => {
  const dir = await fixture({
    hosts: '[gfs_storage]\nhydra ansible_host=10.0.0.1 brick_force=true\nplexus:2201 ansible_host=10.0.0.2\n\n[gfs_storage:vars]\ntls=no\nvolume=data\n',
  })
  const inventory = await loadInventory('hosts', { cwd: dir, inventoryDir: dir })
  t.deepEqual(inventory.hosts.map((h) => [h.name, h.port, h.settings.brickForce, h.settings.tls, h.settings.volume]), [['hydra', 22, true, false, 'data'], ['plexus', 2201, false, false, 'data']])
})

test('-i takes a path from the current directory first, then the repository inventory/ folder; a bare name is a named inventory first', async (t) => {
  const cwd = await fixture({ 'home.yaml': 'gfs_storage:\n  hosts:\n    a:\n    b:\n' })
  const shelf = await fixture({ 'home.yaml': 'gfs_storage:\n  hosts:\n    c:\n    d:\n', 'other.yml': 'gfs_storage:\n  hosts:\n    e:\n    f:\n' })
  t.deepEqual((await loadInventory('home.yaml', { cwd, inventoryDir: shelf })).hosts.map((h) => h.name), ['a', 'b'])
  t.deepEqual((await loadInventory('home', { cwd, inventoryDir: shelf })).hosts.map((h) => h.name), ['c', 'd'])
  t.deepEqual((await loadInventory('other', { cwd, inventoryDir: shelf })).hosts.map((h) => h.name), ['e', 'f'])
  // the repository's own lab/ folder (sources) beside inventory/lab.yaml: `-i lab` is the lab's inventory
  const repo = await fixture({ 'lab/delay-line.c': '/* a C file */\n', 'lab/topology.yaml': 'hosts: []\n', 'hosts': '[gfs_storage]\ng\nh\n' })
  const named = await fixture({ 'lab.yaml': 'gfs_storage:\n  hosts:\n    i:\n    j:\n' })
  t.deepEqual((await loadInventory('lab', { cwd: repo, inventoryDir: named })).hosts.map((h) => h.name), ['i', 'j'])
  t.deepEqual((await loadInventory('hosts', { cwd: repo, inventoryDir: named })).hosts.map((h) => h.name), ['g', 'h'], 'no named one: the file here')
  t.deepEqual((await loadInventory('./lab/../hosts', { cwd: repo, inventoryDir: named })).hosts.map((h) => h.name), ['g', 'h'])
})

const refused: [string, Record<string, string>, string][] = [
  ['a Jinja template in one of our variables', { 'inv.yml': 'gfs_storage:\n  hosts:\n    a:\n    b:\n  vars:\n    brick: "{{ base }}/brick"\n' }, 'inv.yml:6: gfs_storage.vars.brick: expected a plain value: brick is read by gfs-writecache, which does not evaluate Jinja templates; write the value itself'],
  ['a Jinja template in an honoured ansible_ variable', { hosts: '[gfs_storage]\na ansible_host="{{ lookup(\'env\', \'A\') }}"\nb\n' }, "hosts:2: [gfs_storage].a.ansible_host: expected a plain value: ansible_host is read by gfs-writecache, which does not evaluate Jinja templates; write the value itself"],
  ['a misspelt variable of ours in INI', { hosts: '[gfs_storage]\na\nb\n\n[all:vars]\nsplit_brain_polcy=none\n' }, 'hosts:6: [all:vars].split_brain_polcy: unknown variable (did you mean "split_brain_policy"?); a variable of your own needs a name not this close to one of ours'],
  ['an INI child group no section defines', { hosts: '[gfs_storage]\na\nb\n\n[usa:children]\nsoutheast\n' }, 'hosts:6: [usa:children]: expected a group defined in this inventory, got southeast (add a [southeast] section, or remove the line)'],
  ['a host in gfs_arbiter written role: storage', { 'inv.yml': 'gfs_storage:\n  hosts:\n    a:\n    b:\ngfs_arbiter:\n  hosts:\n    w:\n      role: storage\n' }, 'inv.yml:8: gfs_arbiter.hosts.w.role: expected role: arbiter or no role, since w is in group gfs_arbiter; got storage'],
  ['one host in gfs_storage', { 'inv.yml': 'gfs_storage:\n  hosts:\n    a:\nweb:\n  hosts:\n    b:\n' }, 'inv.yml: all.hosts: expected exactly two storage hosts (the hosts of group gfs_storage) (the volume is replica 2), got 1: a'],
  ['an INI line that is not key=value', { hosts: '[gfs_storage]\na ansible_host\nb\n' }, 'hosts:2: [gfs_storage].a: expected key=value host variables after the host name, got "ansible_host"'],
  ['YAML in a file named .inv', { 'inv.inv': 'all:\n  hosts:\n    a:\n' }, 'inv.inv:1: [all]: expected a host name of letters, digits, hyphens and dots, got "all:" (read as INI: this looks like YAML, which Ansible reads only from files named .yaml, .yml, .json or without an extension)'],
  ['a comma-separated host list', {}, '--inventory: expected an inventory file or directory, got the host list "a,b": the appliance\'s variables need an inventory file'],
]

for (const [title, files, message] of refused) {
  test(`refused: ${title}`, async (t) => {
    const dir = await fixture(files)
    const name = Object.keys(files)[0] ?? 'a,b'
    const error = await t.throwsAsync(loadInventory(name, { cwd: dir, inventoryDir: dir }), { instanceOf: InventoryError })
    t.is(error?.message, message)
  })
}
