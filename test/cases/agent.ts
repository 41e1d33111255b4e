// Cases for the TLS tasks, the flush agent's tasks and handler, and the flush playbook.
import { createHash } from 'node:crypto'
import type { CaState, IssuedMaterial } from '../../src/facts/tls.ts'
import { AGENT_PROGRAM, agentUnits } from '../../src/agent/service/units.ts'
import { drainMountUnits, unitDigest } from '../../src/tasks/drain-mounts.ts'
import { unionLowerMountUnit } from '../../src/tasks/union-lower-mount.ts'
import { Secret } from '../../src/inventory/types.ts'
import { secureAccessContent, wantedTlsOptions } from '../../src/tasks/tls.ts'
import { agentConfig, contractDoc } from '../../src/tasks/writecache.ts'
import { agentSettled } from '../../src/tasks/agent-running.ts'
import { host, inventory } from '../helpers/hosts.ts'
import type { TaskSuite } from '../helpers/task-cases.ts'
import { file, mount, unit, volume } from './facts.ts'

/** The agent bundle the cases' playbook carries. */
export const bundle = { code: 'AGENT', sha256: 'ab'.repeat(32) }

const on = { tls: true }
const tlsHosts = [host('hydra', { address: '10.0.0.1' }, on), host('plexus', { address: '10.0.0.2' }, on)]
const cert = (name: string, overrides = {}) => ({ name, cn: name, verified: true, fresh: true, keyMatches: true, ...overrides })
const allValid: { ca: CaState } = { ca: { ca: true, certificates: [cert('hydra'), cert('plexus')] } }
const material: IssuedMaterial = { ca: 'CA-PEM\n', cert: 'HYDRA-PEM\n', key: new Secret('HYDRA-KEY\n') }
const digest = (s: string) => createHash('sha256').update(s).digest('hex')
const linked = { '/usr/lib/ssl/glusterfs.pem': '/etc/ssl/glusterfs.pem', '/usr/lib/ssl/glusterfs.key': '/etc/ssl/glusterfs.key', '/usr/lib/ssl/glusterfs.ca': '/etc/ssl/glusterfs.ca' }
const installed = (m: IssuedMaterial) => ({ '/etc/ssl/glusterfs.ca': digest(m.ca), '/etc/ssl/glusterfs.pem': digest(m.cert), '/etc/ssl/glusterfs.key': digest(m.key.value) })
const running = { secure: file(), union: mount('/gfs/union', 'overlay'), gv0: mount('/gfs/gv0', 'fuse.glusterfs'), agent: unit('active'), glusterd: unit('active') }
const resolved = ['10.9.0.1', '10.9.0.2']
const threeHosts = [...tlsHosts, host('arbiter1', { address: '10.0.0.3', role: 'arbiter' }, on)]
const tlsOptions = wantedTlsOptions({ host: tlsHosts[0]!, hosts: tlsHosts, inventory: inventory(tlsHosts), check: false }, resolved)
const two = (drainMounts: number) => host('hydra', {}, { flush: { ...host('hydra').settings.flush, drainMounts } })
const drain = (i: number) => ({ ...mount(`/run/gfs-writecache-gv0/${i}`, 'fuse.glusterfs', 'hydra:/gv0'), dead: false, hung: false })
/** the unit files of drain mounts 1..n as installed (name -> sha256) */
const drainUnits = (n: number) => {
  const hosts = [two(n), host('plexus')]
  return Object.fromEntries(drainMountUnits({ host: hosts[0]!, hosts, inventory: inventory(hosts), check: false }).map((u) => [u.name, unitDigest(u.content)]))
}
const units = agentUnits(agentConfig(host('hydra')))
const twoHosts = [host('hydra'), host('plexus')]
/** the union's read-only gv0 client: its unit as written, and its mount */
const lowerUnit = unionLowerMountUnit({ host: twoHosts[0]!, hosts: twoHosts, inventory: inventory(twoHosts), check: false })
const lowerClient = (dead = false) => ({ fstype: 'fuse.glusterfs', source: 'hydra:/gv0', dead, hung: false })
const onClient = mount('/gfs/union', 'overlay', 'overlay', ['rw', 'lowerdir=/run/gfs-writecache-union-lower'])
const brickHosts = [host('hydra', {}, { unionLower: 'brick' }), host('plexus', {}, { unionLower: 'brick' })]
const unitFacts = (content: (name: string) => string | undefined) => Object.fromEntries(units.map((u) => [u.name, file(content(u.content))]))
const configText = JSON.stringify(agentConfig(host('hydra')), null, 2) + '\n'
const report = {
  version: '1', running: true, union: { path: '/gfs/union', mounted: true }, lastPublish: null, errors: [], conflicts: 0,
  pending: { entries: 2, bytes: 1048576, oldestAgeSeconds: 3 }, cache: { usedPercent: 10, highWatermarkPercent: 90, lowWatermarkPercent: 70 },
}

const issued: [string, CaState, string[]][] = [
  ['no CA: create it and issue for every host', { ca: false, certificates: [] }, ['create the CA in /tmp/test-inventory-ca', 'issue a certificate for hydra', 'issue a certificate for plexus']],
  ['a new host gets one', { ca: true, certificates: [cert('hydra')] }, ['issue a certificate for plexus (none yet)']],
  ['close to expiry: re-issued', { ca: true, certificates: [cert('hydra', { fresh: false }), cert('plexus')] }, ['issue a certificate for hydra (expires within 30 days)']],
  ['signed by another CA', { ca: true, certificates: [cert('hydra'), cert('plexus', { verified: false })] }, ['issue a certificate for plexus (not signed by the current CA)']],
  ['wrong name', { ca: true, certificates: [cert('hydra', { cn: 'other' }), cert('plexus')] }, ['issue a certificate for hydra (its name is "other")']],
  ['key does not match', { ca: true, certificates: [cert('hydra'), cert('plexus', { keyMatches: false })] }, ['issue a certificate for plexus (its key does not match)']],
]

export const agentSuites: TaskSuite[] = [
  {
    task: 'TLS certificates issued',
    hosts: tlsHosts,
    cases: [
      ...issued.map(([name, ca, changes]) => ({ name, facts: { ca }, changes, after: allValid })),
      { name: 'all valid: nothing', facts: allValid, reason: /valid for more than 30 days/ },
      { name: 'odd host names are refused, not turned into file names', hosts: [host('hy/dra', {}, on), host('plexus', {}, on)], facts: { ca: { ca: true, certificates: [] } }, refuse: /cannot issue certificates for host names "hy\/dra"/ },
    ],
  },
  {
    task: 'TLS certificate installed',
    hosts: tlsHosts,
    cases: [
      {
        name: 'uploads what differs; the key with mode 0600 and never shown',
        facts: { issued: material, installed: {}, links: {} },
        changes: [
          'install the CA certificate /etc/ssl/glusterfs.ca',
          "install hydra's certificate /etc/ssl/glusterfs.pem",
          "install hydra's key /etc/ssl/glusterfs.key",
          'link /usr/lib/ssl/glusterfs.pem to /etc/ssl/glusterfs.pem',
          'link /usr/lib/ssl/glusterfs.key to /etc/ssl/glusterfs.key',
          'link /usr/lib/ssl/glusterfs.ca to /etc/ssl/glusterfs.ca',
        ],
        after: { installed: installed(material), links: linked },
      },
      { name: 'a renewed certificate', facts: { issued: { ...material, cert: 'RENEWED\n' }, installed: installed(material), links: linked }, changes: ["install hydra's certificate /etc/ssl/glusterfs.pem"], after: { installed: installed({ ...material, cert: 'RENEWED\n' }) } },
      { name: 'nothing issued', facts: { issued: undefined, installed: installed(material), links: linked }, refuse: /no certificate issued for hydra/ },
      { name: 'a host that trusts another CA is never re-keyed by accident', facts: { issued: material, installed: { ...installed(material), '/etc/ssl/glusterfs.ca': digest('OTHER-CA\n') }, links: linked }, refuse: /already trusts another CA/ },
    ],
  },
  {
    task: 'gluster management encryption',
    hosts: tlsHosts,
    cases: [
      {
        name: 'a running appliance is switched over in a safe order',
        facts: running,
        commands: ['systemctl stop gfs-writecache.service', 'umount -- /gfs/union', 'umount -- /gfs/gv0', `write /var/lib/glusterd/secure-access (${secureAccessContent.length} bytes, mode 644)`, 'systemctl reset-failed glusterd.service; systemctl restart glusterd.service'],
        after: { secure: file(secureAccessContent), union: undefined, gv0: undefined, agent: unit('inactive') },
      },
      {
        name: 'a bare host',
        facts: { secure: file(), union: undefined, gv0: undefined, agent: unit('inactive', { loaded: false }), glusterd: unit('active') },
        changes: ['write /var/lib/glusterd/secure-access', 'restart glusterd with TLS'],
        after: { secure: file(secureAccessContent) },
      },
      { name: 'already on TLS, another depth line', facts: { ...running, secure: file('') }, changes: ['write /var/lib/glusterd/secure-access', 'restart glusterd with TLS'], after: { secure: file(secureAccessContent) } },
    ],
  },
  {
    task: 'gluster volume TLS',
    hosts: tlsHosts,
    cases: [
      {
        name: 'options for a started volume, then a restart so the bricks serve TLS',
        facts: { current: { 'client.ssl': 'off', 'server.ssl': 'off', 'auth.allow': '*' }, volume: volume(), resolved },
        commands: [
          'gluster --mode=script volume set gv0 client.ssl on',
          'gluster --mode=script volume set gv0 server.ssl on',
          'gluster --mode=script volume set gv0 auth.ssl-allow hydra,plexus',
          'gluster --mode=script volume set gv0 auth.allow 10.0.0.1,10.0.0.2,10.9.0.1,10.9.0.2',
          'gluster --mode=script volume stop gv0',
          'gluster --mode=script volume start gv0',
        ],
        after: { current: tlsOptions },
      },
      {
        name: 'a volume not yet started is not restarted',
        facts: { current: {}, volume: volume({ started: false }), resolved },
        changes: Object.entries(tlsOptions).map(([k, v]) => `set ${k} = ${v} (was unset)`),
        after: { current: tlsOptions },
      },
      { name: 'no volume', facts: { current: {}, volume: undefined, resolved }, refuse: /does not exist/ },
      {
        name: 'a host added to the inventory is added to both allow lists, without a restart',
        hosts: threeHosts,
        facts: { current: tlsOptions, volume: volume(), resolved: [...resolved, '10.9.0.3'] },
        changes: [
          'set auth.ssl-allow = hydra,plexus,arbiter1 (was hydra,plexus)',
          'set auth.allow = 10.0.0.1,10.0.0.2,10.0.0.3,10.9.0.1,10.9.0.2,10.9.0.3 (was 10.0.0.1,10.0.0.2,10.9.0.1,10.9.0.2)',
        ],
        after: { current: wantedTlsOptions({ host: threeHosts[0]!, hosts: threeHosts, inventory: inventory(threeHosts), check: false }, [...resolved, '10.9.0.3']) },
      },
    ],
  },
  {
    task: 'flush agent program',
    cases: [
      { name: 'installed and linked', facts: { digest: undefined, link: '' }, changes: [`install ${AGENT_PROGRAM} (sha256 ${bundle.sha256.slice(0, 12)})`, 'link /usr/local/bin/gfs-writecache'], after: { digest: bundle.sha256, link: AGENT_PROGRAM } },
      { name: 'another version replaced', facts: { digest: 'cd'.repeat(32), link: AGENT_PROGRAM }, commands: [`write ${AGENT_PROGRAM} (5 bytes, mode 755)`], after: { digest: bundle.sha256 } },
    ],
  },
  {
    task: 'flush agent config',
    cases: [
      { name: 'written from the inventory', facts: { current: file() }, changes: ['create /etc/gfs-writecache/config.json'], after: { current: file(configText) } },
      { name: 'an edited one is put back', facts: { current: file('{}\n') }, changes: ['update /etc/gfs-writecache/config.json'], after: { current: file(configText) } },
    ],
  },
  {
    task: 'flush agent documentation',
    cases: [
      {
        name: "the flush contract, for the units' Documentation=",
        facts: { current: file() },
        changes: ['create /usr/local/share/doc/gfs-writecache/flush-contract.md'],
        after: { current: file(contractDoc) },
      },
    ],
  },
  {
    task: 'flush agent units',
    cases: [
      { name: 'every unit written, systemd reloaded', facts: unitFacts(() => undefined), changes: [...units.map((u) => `create /etc/systemd/system/${u.name}`), 'reload systemd'], after: unitFacts((c) => c) },
      { name: 'one unit edited', facts: unitFacts((c) => (c === units[0]!.content ? 'edited\n' : c)), changes: [`update /etc/systemd/system/${units[0]!.name}`, 'reload systemd'], after: unitFacts((c) => c) },
    ],
  },
  {
    task: 'drain mounts for the agent',
    hosts: [two(3), host('plexus')],
    cases: [
      {
        name: 'nothing yet: units written, each mount started through its unit',
        facts: { mounts: [], units: {}, agent: unit('inactive'), tries: {} },
        changes: ['write 3 unit(s) of drain mounts', 'mount /run/gfs-writecache-gv0/1', 'mount /run/gfs-writecache-gv0/2', 'mount /run/gfs-writecache-gv0/3'],
        after: { mounts: [drain(1), drain(2), drain(3)], units: drainUnits(3), agent: unit('inactive'), tries: {} },
      },
      {
        name: 'a changed unit is written and its mount mounted again',
        facts: { mounts: [drain(1), drain(2), drain(3)], units: { ...drainUnits(3), 'run-gfs\\x2dwritecache\\x2dgv0-2.mount': 'ab'.repeat(32) }, agent: unit('active'), tries: {} },
        changes: ['stop gfs-writecache.service to let go of its drain mounts', 'write 1 unit(s) of drain mounts', 'mount /run/gfs-writecache-gv0/2 again (its unit changed)', 'start gfs-writecache.service again'],
        after: { units: drainUnits(3) },
      },
      {
        name: 'each wanted mount started through its unit',
        facts: { mounts: [drain(1)], units: drainUnits(3), agent: unit('inactive'), tries: {} },
        commands: ["systemctl start 'run-gfs\\x2dwritecache\\x2dgv0-2.mount' || true", "systemctl start 'run-gfs\\x2dwritecache\\x2dgv0-3.mount' || true"],
        after: { mounts: [drain(1), drain(2), drain(3)] },
      },
      {
        name: 'a start that failed (a slow host\'s client gave up) is tried again, with the reason',
        facts: { mounts: [drain(1), drain(2)], units: drainUnits(3), agent: unit('inactive'), tries: { '/run/gfs-writecache-gv0/3': { active: 'failed', result: 'timeout', lastError: '0-gv0-client-0: connection to 10.214.0.12:49152 failed' } } },
        changes: ['mount /run/gfs-writecache-gv0/3 (the last try failed: timeout; client log: 0-gv0-client-0: connection to 10.214.0.12:49152 failed)'],
        commands: ["systemctl start 'run-gfs\\x2dwritecache\\x2dgv0-3.mount' || true"],
        after: { mounts: [drain(1), drain(2), drain(3)] },
      },
      { name: 'all mounted and answering', facts: { mounts: [drain(1), drain(2), drain(3)], units: drainUnits(3), agent: unit('inactive'), tries: {} }, reason: /3 drain mount\(s\) of gv0 answering/ },
      {
        name: 'a client that died is mounted again',
        facts: { mounts: [drain(1), { ...drain(2), dead: true }, drain(3)], units: drainUnits(3), agent: unit('active'), tries: {} },
        changes: ['stop gfs-writecache.service to let go of its drain mounts', 'mount /run/gfs-writecache-gv0/2 again (its gluster client does not answer)', 'start gfs-writecache.service again'],
        after: { mounts: [drain(1), drain(2), drain(3)] },
      },
      {
        name: 'a client that hangs is killed first (an agent waiting on it could not stop), and its mount mounted again',
        facts: { mounts: [drain(1), { ...drain(2), dead: true, hung: true }, drain(3)], units: drainUnits(3), agent: unit('active'), tries: {} },
        changes: [
          'kill the gluster client of /run/gfs-writecache-gv0/2: it answers nothing',
          'stop gfs-writecache.service to let go of its drain mounts',
          'mount /run/gfs-writecache-gv0/2 again (its gluster client hangs: no answer in 20 s)',
          'start gfs-writecache.service again',
        ],
        commands: [
          `for p in $(for p in $(pgrep -x glusterfs); do [ "$(tr '\\0' '\\n' < /proc/$p/cmdline 2>/dev/null | tail -n 1)" = /run/gfs-writecache-gv0/2 ] && echo $p; done; true); do kill -9 $p; done; true`,
          'systemctl stop gfs-writecache.service',
          "systemctl stop 'run-gfs\\x2dwritecache\\x2dgv0-2.mount'; umount -- /run/gfs-writecache-gv0/2 2>/dev/null; systemctl start 'run-gfs\\x2dwritecache\\x2dgv0-2.mount'",
          'systemctl start gfs-writecache.service',
        ],
        after: { mounts: [drain(1), drain(2), drain(3)] },
      },
      {
        name: 'fewer wanted: the rest unmounted, their units removed',
        facts: { mounts: [drain(1), drain(2), drain(3), drain(4)], units: drainUnits(5), agent: unit('active'), tries: {} },
        changes: ['stop gfs-writecache.service to let go of its drain mounts', 'unmount /run/gfs-writecache-gv0/4 (no longer wanted)', 'remove 2 unit(s) of drain mounts no longer wanted', 'start gfs-writecache.service again'],
        after: { mounts: [drain(1), drain(2), drain(3)], units: drainUnits(3) },
      },
      { name: 'something else mounted there is refused', facts: { mounts: [drain(1), mount('/run/gfs-writecache-gv0/2', 'tmpfs', 'tmpfs')], units: drainUnits(3), agent: unit('inactive'), tries: {} }, refuse: /tmpfs \(tmpfs\) mounted instead of gv0/ },
      {
        name: 'none wanted: all removed',
        hosts: [two(0), host('plexus')],
        facts: { mounts: [drain(1)], units: drainUnits(1), agent: unit('inactive'), tries: {} },
        changes: ['unmount /run/gfs-writecache-gv0/1 (no longer wanted)', 'remove 1 unit(s) of drain mounts no longer wanted'],
        after: { mounts: [], units: {}, agent: unit('inactive'), tries: {} },
      },
    ],
  },
  {
    task: 'union lower client mounted',
    cases: [
      {
        name: 'nothing yet: its unit written, read-only, quorum off, then started',
        facts: { mount: null, unit: file(), union: undefined, agent: unit('inactive'), tries: {} },
        changes: ["create /etc/systemd/system/run-gfs\\x2dwritecache\\x2dunion\\x2dlower.mount", 'mount /run/gfs-writecache-union-lower'],
        after: { mount: lowerClient(), unit: file(lowerUnit.content), union: undefined, agent: unit('inactive'), tries: {} },
      },
      { name: 'mounted and answering', facts: { mount: lowerClient(), unit: file(lowerUnit.content), union: onClient, agent: unit('active'), tries: {} }, reason: /read-only, quorum off/ },
      {
        name: 'a client that died under the union: the union goes down (plain umount), the client is mounted again',
        facts: { mount: lowerClient(true), unit: file(lowerUnit.content), union: onClient, agent: unit('active'), tries: {} },
        changes: ['stop gfs-writecache.service to take the union down', 'unmount /gfs/union (cached data stays in /data/writecache/upper)', 'mount /run/gfs-writecache-union-lower again (its gluster client does not answer)'],
        after: { mount: lowerClient(), union: undefined, agent: unit('inactive') },
      },
      {
        name: 'a client that hangs under the union: killed first, then the union goes down and the client is mounted again',
        facts: { mount: { ...lowerClient(true), hung: true }, unit: file(lowerUnit.content), union: onClient, agent: unit('active'), tries: {} },
        changes: [
          'kill the gluster client of /run/gfs-writecache-union-lower: it answers nothing',
          'stop gfs-writecache.service to take the union down',
          'unmount /gfs/union (cached data stays in /data/writecache/upper)',
          'mount /run/gfs-writecache-union-lower again (its gluster client hangs: no answer in 20 s)',
        ],
        after: { mount: lowerClient(), union: undefined, agent: unit('inactive') },
      },
      {
        name: 'a changed unit: written, the client mounted again (nothing on it)',
        facts: { mount: lowerClient(), unit: file('old'), union: mount('/gfs/union', 'overlay', 'overlay', ['rw', 'lowerdir=/gfs/gv0']), agent: unit('active'), tries: {} },
        changes: ["update /etc/systemd/system/run-gfs\\x2dwritecache\\x2dunion\\x2dlower.mount", 'mount /run/gfs-writecache-union-lower again (its unit changed)'],
        after: { unit: file(lowerUnit.content) },
      },
      { name: 'something else mounted there is refused', facts: { mount: { fstype: 'tmpfs', source: 'tmpfs', dead: false }, unit: file(lowerUnit.content), union: undefined, agent: unit('inactive'), tries: {} }, refuse: /tmpfs \(tmpfs\) mounted instead of gv0/ },
    ],
  },
  {
    task: 'union mount enabled',
    cases: [{ name: 'enabled', facts: { state: unit('inactive', { enabled: 'disabled' }) }, commands: ['systemctl enable gfs-union.mount'], after: { state: unit('inactive') } }],
  },
  {
    task: 'union mounted',
    cases: [
      { name: 'a running agent is stopped for the prepare step', facts: { union: undefined, agent: unit('active') }, commands: ['systemctl stop gfs-writecache.service', 'systemctl start gfs-union.mount'], after: { union: mount('/gfs/union', 'overlay'), agent: unit('inactive') } },
      { name: 'a foreign mount is reported', facts: { union: mount('/gfs/union', 'tmpfs', 'tmpfs'), agent: unit('inactive') }, refuse: /has tmpfs \(tmpfs\) mounted on it/ },
      { name: 'on its lower: nothing to do', facts: { union: onClient, agent: unit('active') }, changes: [] },
      {
        name: 'an install from before: the union on gv0_mount moves onto its read-only client (or stays, if used meanwhile)',
        facts: { union: mount('/gfs/union', 'overlay', 'overlay', ['rw', 'lowerdir=/gfs/gv0']), agent: unit('active'), users: [] },
        commands: [
          'systemctl stop gfs-writecache.service',
          'if umount -- /gfs/union; then systemctl start gfs-union.mount; else echo "/gfs/union is in use: it stays on its old lower until nothing holds it, then the flush agent moves it" >&2; fi',
        ],
        after: { union: onClient, agent: unit('inactive') },
      },
      {
        name: 'a union in use on its old lower is left to the agent: no change now, nor in the next run',
        facts: { union: mount('/gfs/union', 'overlay', 'overlay', ['rw', 'lowerdir=/gfs/gv0']), agent: unit('active'), users: [4242, 4243] },
        reason: /\/gfs\/union is on its old lower \(lowerdir=\/gfs\/gv0\) and in use by pid 4242, 4243: the flush agent moves it onto \/run\/gfs-writecache-union-lower once nothing holds it/,
      },
      {
        name: 'union_lower brick: the union on gv0 is mounted again on the bind (agent stopped, plain umount)',
        hosts: brickHosts,
        facts: { union: mount('/gfs/union', 'overlay', 'overlay', ['rw', 'lowerdir=/gfs/gv0']), agent: unit('active') },
        commands: [
          'systemctl stop gfs-writecache.service',
          'if umount -- /gfs/union; then systemctl start gfs-union.mount; else echo "/gfs/union is in use: it stays on its old lower until nothing holds it, then the flush agent moves it" >&2; fi',
        ],
        after: { union: mount('/gfs/union', 'overlay', 'overlay', ['rw', 'lowerdir=/run/gfs-writecache-lower']), agent: unit('inactive') },
      },
    ],
  },
  {
    task: 'flush agent running',
    cases: [
      { name: 'enabled and started, then watched until it stays up', facts: { state: unit('inactive', { enabled: 'disabled' }) }, commands: ['systemctl enable gfs-writecache.service', 'systemctl start gfs-writecache.service', agentSettled.display], after: { state: unit('active') } },
      // "activating" is also Restart='s pause after a crash: a repair that took it for running returned over a crash loop
      { name: 'activating (a crash and its restart pause) is not running: started and watched', facts: { state: unit('activating', { sub: 'auto-restart' }) }, changes: ['start gfs-writecache.service (was activating (auto-restart)) and wait until it stays active'], commands: ['systemctl start gfs-writecache.service', agentSettled.display], after: { state: unit('active') } },
      { name: 'failed: reset, started and watched', facts: { state: unit('failed') }, commands: ['systemctl reset-failed gfs-writecache.service; systemctl start gfs-writecache.service', agentSettled.display], after: { state: unit('active') } },
      { name: 'active and enabled: nothing', facts: { state: unit('active', { sub: 'running' }) }, reason: /active, enabled/ },
    ],
  },
  {
    task: 'restart flush agent',
    handler: true,
    cases: [{ name: 'restarts the agent whenever notified, and watches it stay up', facts: {}, commands: ['systemctl restart gfs-writecache.service', agentSettled.display] }],
  },
  {
    task: 'write cache flushed',
    cases: [
      { name: 'publishes what is pending and waits', facts: { report }, changes: ['publish 2 entries (1.0 MiB)'], commands: ['gfs-writecache flush --wait --timeout 3600'], after: { report: { ...report, pending: { entries: 0, bytes: 0, oldestAgeSeconds: null } } } },
      { name: 'nothing pending after the agent walked its cache', facts: { report: { ...report, pending: { entries: 0, bytes: 0, oldestAgeSeconds: null }, rescanned: true } }, reason: /nothing pending/ },
      {
        name: 'a busy agent answered from its last scan: flushed all the same',
        facts: { report: { ...report, pending: { entries: 0, bytes: 0, oldestAgeSeconds: null }, rescanned: false } },
        changes: ['publish what the busy agent has not counted yet'],
        commands: ['gfs-writecache flush --wait --timeout 3600'],
        after: { report: { ...report, pending: { entries: 0, bytes: 0, oldestAgeSeconds: null }, rescanned: true } },
      },
      { name: 'not installed', facts: { report: undefined }, refuse: /not installed/ },
    ],
  },
]
