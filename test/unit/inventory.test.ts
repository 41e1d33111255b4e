import test, { type ExecutionContext } from 'ava'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { InventoryError } from '../../src/engine/errors.ts'
import { loadInventory } from '../../src/inventory/load.ts'
import { Secret, type Inventory } from '../../src/inventory/types.ts'
import { fixture } from '../helpers/inventory-files.ts'

const repo = fileURLToPath(new URL('../../', import.meta.url))


// The smallest valid inventory: two storage hosts, everything else default.
const pair = `all:
  hosts:
    hydra:
      ansible_host: 10.0.0.1
    plexus:
      ansible_host: 10.0.0.2
`

interface ValidCase {
  files: Record<string, string>
  pick: (inventory: Inventory, dir: string) => unknown
  expected: unknown | ((dir: string) => unknown)
  load?: string
}

const valid = test.macro({
  async exec(t: ExecutionContext, { files, pick, expected, load = 'inv.yaml' }: ValidCase) {
    const dir = await fixture(files)
    const inventory = await loadInventory(load, { cwd: dir, inventoryDir: dir, homeDir: '/home/tester' })
    t.deepEqual(pick(inventory, dir), typeof expected === 'function' ? expected(dir) : expected)
  },
  title: (title = '') => `valid: ${title}`,
})

const byHost = <T>(inventory: Inventory, pick: (host: Inventory['hosts'][number]) => T): Record<string, T> =>
  Object.fromEntries(inventory.hosts.map((host) => [host.name, pick(host)]))

test('defaults from DESIGN.md', valid, {
  files: { 'inv.yaml': pair },
  pick: (inventory) => ({ first: inventory.hosts[0], trust: inventory.trustNewHostKeys }),
  expected: {
    first: {
      name: 'hydra',
      address: '10.0.0.1',
      port: 22,
      user: 'root',
      become: false,
      role: 'storage',
      groups: [],
      settings: {
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
        tls: true,
        flush: { settleSeconds: 5, scanIntervalSeconds: 60, dentryDropSeconds: 10, highWatermarkPercent: 90, lowWatermarkPercent: 70, bandwidth: 'off', onStopSeconds: 0, drainMounts: 16 },
        metricsFile: '/var/lib/prometheus/node-exporter/gfs-writecache.prom',
        health: {
          pendingAgeWarningSeconds: 3600,
          pendingAgeCriticalSeconds: 43200,
          errorsWarning: 1,
          errorsCritical: 0,
          agentDown: 'critical',
          unionUnmounted: 'critical',
          gv0ReadOnly: 'warning',
          splitBrain: 'critical',
          glusterDegraded: 'warning',
        },
        unionLower: 'gv0',
      },
    },
    trust: false,
  },
})

test('union_lower brick, per host', valid, {
  files: { 'inv.yaml': `${pair}  vars:\n    union_lower: brick\n` },
  pick: (inventory) => byHost(inventory, (h) => h.settings.unionLower),
  expected: { hydra: 'brick', plexus: 'brick' },
})

test('a bare name finds <dir>/<name>.yml; known_hosts defaults beside it', valid, {
  files: { 'lab.yml': pair },
  load: 'lab',
  pick: (inventory) => [inventory.file, inventory.knownHostsFile],
  expected: (dir: string) => [join(dir, 'lab.yml'), join(dir, 'lab.known_hosts')],
})

test('host vars win over group vars, child group over parent, group over all', valid, {
  files: {
    'inv.yaml': `all:
  vars:
    brick: /srv/all
    data_disk: /srv
    tls: yes
  children:
    site:
      vars:
        brick: /srv/site
        cache_upper: /srv/site-cache/upper
        cache_work: /srv/site-cache/work
      children:
        storage:
          vars:
            brick: /srv/storage
          hosts:
            hydra:
              brick: /srv/hydra
            plexus:
`,
  },
  pick: (inventory) => byHost(inventory, (host) => [host.settings.brick, host.settings.cacheUpper, host.settings.dataDisk, host.settings.tls, host.groups]),
  expected: {
    hydra: ['/srv/hydra', '/srv/site-cache/upper', '/srv', true, ['site', 'storage']],
    plexus: ['/srv/storage', '/srv/site-cache/upper', '/srv', true, ['site', 'storage']],
  },
})

test('a host in several groups; the deeper group wins, then the name', valid, {
  files: {
    'inv.yaml': `all:
  children:
    alpha:
      vars: { volume: from-alpha }
      hosts: { hydra: , plexus: }
    beta:
      vars: { volume: from-beta }
      hosts: { hydra: , plexus: }
`,
  },
  pick: (inventory) => byHost(inventory, (host) => [host.settings.volume, host.groups]),
  expected: { hydra: ['from-beta', ['alpha', 'beta']], plexus: ['from-beta', ['alpha', 'beta']] },
})

test('group_vars and host_vars files: Ansible order (inventory group < group_vars < inventory host < host_vars)', valid, {
  files: {
    'inv.yaml': `all:
  vars:
    volume: inline-all
  children:
    storage:
      vars:
        brick: /srv/inline-group
        split_brain_policy: bigger-file
      hosts:
        hydra:
          brick: /srv/inline-host
        plexus:
`,
    'group_vars/all.yaml': 'volume: file-all\ntrust_new_host_keys: true\ntls: false\n',
    'group_vars/storage.yml': 'brick: /srv/file-group\n',
    'group_vars/storage/flush.yaml': 'flush:\n  settle_seconds: 2\n',
    'host_vars/plexus.yaml': 'ansible_port: 2222\n',
    'host_vars/hydra/a.yaml': 'tls: true\n',
    'host_vars/hydra/b.yml': 'tls: false\ngluster_options: {}\n',
  },
  pick: (inventory) => ({
    trust: inventory.trustNewHostKeys,
    hosts: byHost(inventory, (host) => [host.settings.volume, host.settings.brick, host.settings.splitBrainPolicy, host.settings.flush.settleSeconds, host.port, host.settings.tls]),
  }),
  expected: {
    trust: true,
    hosts: {
      hydra: ['file-all', '/srv/inline-host', 'bigger-file', 2, 22, false],
      plexus: ['file-all', '/srv/file-group', 'bigger-file', 2, 2222, false],
    },
  },
})

test('flush: a later layer replaces the mapping, missing keys default', valid, {
  files: {
    'inv.yaml': `all:
  vars:
    flush: { settle_seconds: 1, scan_interval_seconds: 30 }
  hosts:
    hydra:
      flush: { dentry_drop_seconds: 3 }
    plexus:
`,
  },
  pick: (inventory) => byHost(inventory, (host) => host.settings.flush),
  expected: {
    hydra: { settleSeconds: 5, scanIntervalSeconds: 60, dentryDropSeconds: 3, highWatermarkPercent: 90, lowWatermarkPercent: 70, bandwidth: 'off', onStopSeconds: 0, drainMounts: 16 },
    plexus: { settleSeconds: 1, scanIntervalSeconds: 30, dentryDropSeconds: 10, highWatermarkPercent: 90, lowWatermarkPercent: 70, bandwidth: 'off', onStopSeconds: 0, drainMounts: 16 },
  },
})

test('ansible_* connection variables, aliases, ignored keys, become default', valid, {
  files: {
    'inv.yaml': `all:
  vars:
    ansible_connection: ssh
    ansible_python_interpreter: /usr/bin/python3
  hosts:
    hydra:
      ansible_ssh_host: hydra.home.arpa
      ansible_ssh_port: "2200"
      ansible_user: admin
    plexus:
      ansible_host: 2001:db8::2
      ansible_user: deploy
      ansible_become: no
`,
  },
  pick: (inventory) => byHost(inventory, (host) => [host.address, host.port, host.user, host.become]),
  expected: { hydra: ['hydra.home.arpa', 2200, 'admin', true], plexus: ['2001:db8::2', 22, 'deploy', false] },
})

test("Ansible's name:port host form; the same host listed twice merges", valid, {
  files: {
    'inv.yaml': `all:
  hosts:
    hydra.home.arpa:2222:
    plexus:5555:
      ansible_port: 22
  children:
    storage:
      hosts:
        hydra.home.arpa:
          ansible_user: admin
`,
  },
  pick: (inventory) => byHost(inventory, (host) => [host.address, host.port, host.user, host.groups]),
  expected: { 'hydra.home.arpa': ['hydra.home.arpa', 2222, 'admin', ['storage']], plexus: ['plexus', 22, 'root', []] },
})

test('key file resolved from the inventory folder, ~ expanded; known_hosts_file too', valid, {
  files: {
    'site/inv.yaml': `all:
  vars:
    known_hosts_file: ../keys/known_hosts
  hosts:
    hydra:
      ansible_ssh_private_key_file: keys/id_hydra
    plexus:
      ansible_private_key_file: ~/.ssh/id_plexus
`,
  },
  load: 'site/inv.yaml',
  pick: (inventory) => [inventory.knownHostsFile, ...inventory.hosts.map((host) => host.privateKeyFile)],
  expected: (dir: string) => [join(dir, 'keys/known_hosts'), join(dir, 'site/keys/id_hydra'), '/home/tester/.ssh/id_plexus'],
})

test('passwords wrapped in Secret, printed as ***', valid, {
  files: {
    'inv.yaml': `all:
  vars:
    ansible_user: admin
    ansible_become_pass: s3cret
  hosts:
    hydra:
      ansible_password: hunter2
    plexus:
      ansible_ssh_pass: 12345
`,
  },
  pick: (inventory) => ({
    secrets: inventory.hosts.map((host) => [host.password instanceof Secret, host.password?.value, host.becomePassword?.value]),
    json: JSON.stringify(inventory.hosts[0]).includes('hunter2') || JSON.stringify(inventory.hosts[1]).includes('12345'),
    text: `${inventory.hosts[0]!.password}`,
  }),
  expected: { secrets: [[true, 'hunter2', 's3cret'], [true, '12345', 's3cret']], json: false, text: '***' },
})

test('gluster options stringified; paths normalized; arbiter role; YAML anchors and merge keys', valid, {
  files: {
    'inv.yaml': `all:
  vars:
    gluster_options:
      performance.cache-size: 256MB
      network.ping-timeout: 20
      performance.nl-cache: true
    brick: /data/brick1/gv0/
  hosts:
    hydra: &base
      ansible_user: root
    plexus:
      <<: *base
      ansible_host: plexus.example.net
    witness:
      role: arbiter
`,
  },
  pick: (inventory) => ({
    options: inventory.hosts[0]!.settings.glusterOptions,
    brick: inventory.hosts[0]!.settings.brick,
    roles: byHost(inventory, (host) => host.role),
  }),
  expected: {
    options: { 'performance.cache-size': '256MB', 'network.ping-timeout': '20', 'performance.nl-cache': 'on' },
    brick: '/data/brick1/gv0',
    roles: { hydra: 'storage', plexus: 'storage', witness: 'arbiter' },
  },
})

test('inventory/home.yaml loads: hydra and plexus as root', async (t) => {
  const inventory = await loadInventory('home', { cwd: repo })
  t.is(inventory.file, join(repo, 'inventory/home.yaml'))
  t.is(inventory.knownHostsFile, join(repo, 'inventory/home.known_hosts'))
  t.deepEqual(
    inventory.hosts.map((host) => [host.name, host.address, host.user, host.port, host.role, host.settings.volume]),
    [
      ['hydra', 'hydra.home.arpa', 'root', 22, 'storage', 'gv0'],
      ['plexus', 'plexus.example.net', 'root', 22, 'storage', 'gv0'],
    ],
  )
})

interface InvalidCase {
  files: Record<string, string>
  message: string | ((dir: string) => string)
  load?: string
}

const invalid = test.macro({
  async exec(t: ExecutionContext, { files, message, load = 'inv.yaml' }: InvalidCase) {
    const dir = await fixture(files)
    const error = await t.throwsAsync(loadInventory(load, { cwd: dir, inventoryDir: dir }), { instanceOf: InventoryError })
    t.is(error?.message, typeof message === 'function' ? message(dir) : message)
  },
  title: (title = '') => `invalid: ${title}`,
})

const hosts = (vars: string): string => `all:
  hosts:
    hydra:
${vars}
    plexus:
      ansible_host: 10.0.0.2
`

test('relative brick', invalid, {
  files: { 'inv.yaml': hosts('      brick: data/brick') },
  message: 'inv.yaml:4: all.hosts.hydra.brick: expected an absolute path, got "data/brick"',
})

test('missing file by name', invalid, {
  files: { 'home.yaml': pair },
  load: 'lab',
  message: `lab.yaml: no such inventory file or directory (also looked for lab.yml, lab); create one from the example: cp ${join(repo, 'inventory/home.yaml')} lab.yaml`,
})

test('missing file by path', invalid, {
  files: {},
  load: 'nope/x.yaml',
  message: `nope/x.yaml: no such inventory file or directory; create one from the example: cp ${join(repo, 'inventory/home.yaml')} nope/x.yaml`,
})

test('empty file', invalid, {
  files: { 'inv.yaml': '# nothing yet\n' },
  message: 'inv.yaml: the file is empty: expected an inventory starting with all: (see inventory/home.yaml)',
})

test('YAML syntax error', invalid, {
  files: { 'inv.yaml': 'all:\n  hosts:\n    hydra: [1,\n' },
  message: 'inv.yaml:4: YAML syntax error at column 1: Flow sequence in block collection must be sufficiently indented and end with a ]',
})

test('duplicate key', invalid, {
  files: { 'inv.yaml': 'all:\n  vars:\n    tls: true\n    tls: false\n' },
  message: 'inv.yaml:4: YAML syntax error at column 5: Map keys must be unique',
})

test('unknown variable with a suggestion', invalid, {
  files: { 'inv.yaml': `${pair}  vars:\n    cache_uper: /x/upper\n` },
  message: 'inv.yaml:8: all.vars.cache_uper: unknown variable (did you mean "cache_upper"?); a variable of your own needs a name not this close to one of ours',
})

test('misspelt ansible_ variable', invalid, {
  files: { 'inv.yaml': hosts('      ansible_hots: 10.0.0.1') },
  message: 'inv.yaml:4: all.hosts.hydra.ansible_hots: unknown Ansible variable (did you mean "ansible_host"?)',
})

test('unknown group key', invalid, {
  files: { 'inv.yaml': 'all:\n  host:\n    hydra:\n' },
  message: 'inv.yaml:2: all.host: unknown group key (did you mean "hosts"?)',
})

test('hosts at the top level', invalid, {
  files: { 'inv.yaml': 'hosts:\n  hydra:\n' },
  message: 'inv.yaml:1: hosts: expected a group at the top level, got hosts: (indent it under all:)',
})

test('hosts as a list', invalid, {
  files: { 'inv.yaml': 'all:\n  hosts:\n    - hydra\n    - plexus\n' },
  message: 'inv.yaml:3: all.hosts: expected a mapping of host names to their variables (hydra: followed by its variables), got a list',
})

test('host with no name', invalid, {
  files: { 'inv.yaml': 'all:\n  hosts:\n    hydra:\n    : { ansible_host: 10.0.0.2 }\n' },
  message: 'inv.yaml:4: all.hosts: expected a host name before the colon, got nothing',
})

test('host name that is not a hostname', invalid, {
  files: { 'inv.yaml': 'all:\n  hosts:\n    hydra_1:\n' },
  message: 'inv.yaml:3: all.hosts.hydra_1: expected a host name of letters, digits, hyphens and dots',
})

test('wrong type for a boolean', invalid, {
  files: { 'inv.yaml': `${pair}  vars:\n    tls: maybe\n` },
  message: 'inv.yaml:8: all.vars.tls: expected true or false, got "maybe"',
})

test('volume name gluster refuses', invalid, {
  files: { 'inv.yaml': `${pair}  vars:\n    volume: my/vol\n` },
  message: 'inv.yaml:8: all.vars.volume: expected a gluster volume name (letters, digits, - and _, at most 32 characters, not starting with -), got "my/vol"',
})

test('split_brain_policy outside its choices', invalid, {
  files: { 'inv.yaml': `${pair}  vars:\n    split_brain_policy: newest\n` },
  message: 'inv.yaml:8: all.vars.split_brain_policy: expected one of none, latest-mtime, bigger-file, got "newest"',
})

test('flush setting misspelt', invalid, {
  files: { 'inv.yaml': `${pair}  vars:\n    flush:\n      settle_secs: 3\n` },
  message:
    'inv.yaml:9: all.vars.flush.settle_secs: unknown flush setting, expected one of settle_seconds, scan_interval_seconds, dentry_drop_seconds, high_watermark_percent, low_watermark_percent, bandwidth, on_stop_seconds, drain_mounts (did you mean "settle_seconds"?)',
})

test('watermark out of range', invalid, {
  files: { 'inv.yaml': `${pair}  vars:\n    flush:\n      high_watermark_percent: 100\n` },
  message: 'inv.yaml:9: all.vars.flush.high_watermark_percent: expected a whole number of percent from 1 to 99, got 100',
})

test('bandwidth timetable with a bad entry', invalid, {
  files: { 'inv.yaml': `${pair}  vars:\n    flush:\n      bandwidth: "08:00,512k 25:00,off"\n` },
  message: 'inv.yaml:9: all.vars.flush.bandwidth: bandwidth "08:00,512k 25:00,off": entry 2 "25:00,off": "25:00" is not a time of day: hours 00-23, minutes 00-59',
})

test('bandwidth of 0 is refused as ambiguous', invalid, {
  files: { 'inv.yaml': `${pair}  vars:\n    flush:\n      bandwidth: 0\n` },
  message: 'inv.yaml:9: all.vars.flush.bandwidth: bandwidth "0": "0": a limit of 0 is ambiguous: write off (unlimited) or pause (publish nothing)',
})

test('bandwidth: yes is not a limit', invalid, {
  files: { 'inv.yaml': `${pair}  vars:\n    flush:\n      bandwidth: yes\n` },
  message: 'inv.yaml:9: all.vars.flush.bandwidth: expected a rate like 512k or 2M, off, pause, or a timetable like "08:00,512k 19:00,2M 23:30,off", got true',
})

test('on_stop_seconds must not be negative', invalid, {
  files: { 'inv.yaml': `${pair}  vars:\n    flush:\n      on_stop_seconds: -5\n` },
  message: 'inv.yaml:9: all.vars.flush.on_stop_seconds: expected a number of seconds, 0 or more, got -5',
})

test('bandwidth: a bare off (YAML 1.1 false), a rate and a timetable are kept as written for the agent', async (t) => {
  for (const [yaml, want] of [['off', 'off'], ['2M', '2M'], ['"08:00,512k 23:30,off Sat-00:00,pause"', '08:00,512k 23:30,off Sat-00:00,pause']]) {
    const dir = await fixture({ 'inv.yaml': `${pair}  vars:\n    flush:\n      bandwidth: ${yaml}\n      on_stop_seconds: 30\n` })
    const inventory = await loadInventory('inv.yaml', { cwd: dir, inventoryDir: dir })
    t.like(inventory.hosts[0].settings.flush, { bandwidth: want, onStopSeconds: 30 })
  }
})

test('low watermark not below high', invalid, {
  files: { 'inv.yaml': `${pair}  vars:\n    flush: { high_watermark_percent: 80, low_watermark_percent: 85 }\n` },
  message: 'inv.yaml:8: all.vars.flush.low_watermark_percent: expected a percent below high_watermark_percent (80), got 85',
})

test('cache inside a mount point', invalid, {
  files: { 'inv.yaml': hosts('      cache_upper: /gfs/gv0/cache/upper\n      cache_work: /gfs/gv0/cache/work') },
  message: 'inv.yaml:4: all.hosts.hydra.cache_upper: expected a directory outside gv0_mount (/gfs/gv0), got "/gfs/gv0/cache/upper"',
})

test('brick inside the cache', invalid, {
  files: { 'inv.yaml': hosts('      brick: /data/writecache/upper/brick') },
  message: 'inv.yaml:4: all.hosts.hydra.brick: expected a directory outside cache_upper (/data/writecache/upper), got "/data/writecache/upper/brick"',
})

test('mount point containing the brick', invalid, {
  files: { 'inv.yaml': `${pair}  vars:\n    union_mount: /data\n` },
  message: 'inv.yaml:8: all.vars.union_mount: expected a directory not containing cache_upper (/data/writecache/upper), got "/data"',
})

test('upper and work on different parents', invalid, {
  files: { 'inv.yaml': `${pair}  vars:\n    cache_work: /srv/work\n` },
  message:
    'inv.yaml:8: all.vars.cache_work: expected a directory beside cache_upper (in /data/writecache, overlayfs needs upper and work on one file system), got "/srv/work"',
})

test('one storage host', invalid, {
  files: { 'inv.yaml': 'all:\n  hosts:\n    hydra:\n' },
  message: 'inv.yaml: all.hosts: expected exactly two storage hosts (the volume is replica 2), got 1: hydra',
})

test('three storage hosts', invalid, {
  files: { 'inv.yaml': `${pair}    third:\n` },
  message: 'inv.yaml:7: all.hosts.third: expected exactly two storage hosts (the volume is replica 2; a third host may be role: arbiter, or list the appliance\'s hosts in group gfs_storage to leave the others alone), got 3: hydra, plexus, third',
})

test('union_lower: only gv0 or brick', invalid, {
  files: { 'inv.yaml': `${pair}  vars:\n    union_lower: local\n` },
  message: 'inv.yaml:8: all.vars.union_lower: expected one of gv0, brick, got "local"',
})

test('union_lower brick with an arbiter: a brick can fall behind, refused', invalid, {
  files: { 'inv.yaml': `${pair}    witness:\n      role: arbiter\n  vars:\n    union_lower: brick\n` },
  message: 'inv.yaml:10: all.vars.union_lower: expected union_lower gv0 with an arbiter (witness): with one, one side can take writes alone and this host\'s brick can fall behind; got "brick"',
})

test('two arbiters', invalid, {
  files: { 'inv.yaml': `${pair}    w1:\n      role: arbiter\n    w2:\n      role: arbiter\n` },
  message: 'inv.yaml:10: all.hosts.w2.role: expected at most one arbiter, got 2: w1, w2',
})

test('duplicate address', invalid, {
  files: { 'inv.yaml': hosts('      ansible_host: 10.0.0.2') },
  message: 'inv.yaml:6: all.hosts.plexus.ansible_host: expected an address and port not used by hydra, got "10.0.0.2" port 22',
})

test('port out of range', invalid, {
  files: { 'inv.yaml': hosts('      ansible_port: 70000') },
  message: 'inv.yaml:4: all.hosts.hydra.ansible_port: expected a port number from 1 to 65535, got 70000',
})

test('different volume per host', invalid, {
  files: { 'inv.yaml': `all:\n  hosts:\n    hydra:\n    plexus:\n      volume: other\n` },
  message: 'inv.yaml:5: all.hosts.plexus.volume: expected the same volume on every host (hydra has "gv0"), got "other"',
})

test('inventory-wide key on a host', invalid, {
  files: { 'inv.yaml': hosts('      trust_new_host_keys: true') },
  message: 'inv.yaml:4: all.hosts.hydra.trust_new_host_keys: applies to the whole inventory: expected it only in all.vars (or group_vars/all)',
})

test('error inside a group_vars file names that file', invalid, {
  files: { 'inv.yaml': `all:\n  children:\n    storage:\n      hosts:\n        hydra:\n        plexus:\n`, 'group_vars/storage.yaml': '# storage\nbrick: relative\n' },
  message: 'group_vars/storage.yaml:2: brick: expected an absolute path, got "relative"',
})

test('error inside a host_vars folder names that file', invalid, {
  files: { 'inv.yaml': pair, 'host_vars/plexus/conn.yml': 'ansible_become: perhaps\n' },
  message: 'host_vars/plexus/conn.yml:1: ansible_become: expected true or false, got "perhaps"',
})

test('syntax error in group_vars', invalid, {
  files: { 'inv.yaml': pair, 'group_vars/all.yaml': 'volume: [gv0\n' },
  message: 'group_vars/all.yaml:2: YAML syntax error at column 1: Flow sequence in block collection must be sufficiently indented and end with a ]',
})

test('vault values refused with a reason', invalid, {
  files: { 'inv.yaml': hosts('      ansible_password: !vault |\n        $ANSIBLE_VAULT;1.1;AES256') },
  message: 'inv.yaml:4: all.hosts.hydra.ansible_password: expected a plain value: Ansible Vault values are not supported, write the value or leave the key out',
})

test('group cycle', invalid, {
  files: { 'inv.yaml': 'all:\n  children:\n    a:\n      children:\n        b:\n          children:\n            a:\n' },
  message: 'inv.yaml:7: all.children.a.children.b.children.a: expected a child group, but a already contains b',
})

test('missing file from the repository root names inventory/home.yaml as the example', async (t) => {
  const error = await t.throwsAsync(loadInventory('lab-missing', { cwd: repo }), { instanceOf: InventoryError })
  t.is(
    error?.message,
    'inventory/lab-missing.yaml: no such inventory file or directory (also looked for inventory/lab-missing.yml, lab-missing, inventory/lab-missing); create one from the example: cp inventory/home.yaml inventory/lab-missing.yaml',
  )
})
