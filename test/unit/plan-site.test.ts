// What the site tasks compute besides their plans (those are cases in test/cases/site.ts).
import test from 'ava'
import { withFstabLine } from '../../src/tasks/files.ts'
import { sameOption, wantedOptions } from '../../src/tasks/gluster.ts'
import { mountUnitName } from '../../src/tasks/mounts.ts'
import { sysctlFile } from '../../src/tasks/sysctl.ts'
import { host } from '../helpers/hosts.ts'

test('volume options: WAN defaults, inventory overrides; gluster spells booleans several ways', (t) => {
  const hosts = [host('hydra', {}, { glusterOptions: { 'performance.cache-size': '256MB' } }), host('plexus')]
  const wanted = wantedOptions(hosts, hosts[0]!.settings)
  t.is(wanted['cluster.quorum-type'], 'fixed')
  t.is(wanted['cluster.quorum-count'], '2')
  // a cut-off client's connection (and its locks) must be gone on the brick before the client reconnects
  t.is(wanted['network.ping-timeout'], '10')
  t.is(wanted['server.tcp-user-timeout'], '10')
  t.is(wanted['server.keepalive-time'], '10')
  t.is(wanted['server.keepalive-count'], '3')
  t.is(wanted['cluster.heal-timeout'], '60')
  // a wiped or replaced brick heals eight entries at a time over the WAN
  t.is(wanted['cluster.shd-max-threads'], '8')
  t.is(wanted['performance.cache-size'], '256MB')
  t.true(sameOption('on', 'true'))
  t.true(sameOption('off', 'disable'))
  t.false(sameOption('on', 'off'))
})

test('mount unit names follow systemd-escape', (t) => {
  t.is(mountUnitName('/gfs/union'), 'gfs-union.mount')
  t.is(mountUnitName('/mnt/my-dir/'), 'mnt-my\\x2ddir.mount')
  t.is(mountUnitName('/srv/a b'), 'srv-a\\x20b.mount')
  t.is(mountUnitName('/.hidden'), '\\x2ehidden.mount')
})

test('fstab: one line per mount point, other lines untouched', (t) => {
  const before = '# root\nUUID=1 / ext4 defaults 0 1\nold:/gv0 /gfs/gv0 glusterfs defaults 0 0\n'
  const after = withFstabLine(before, '/gfs/gv0', 'hydra:/gv0 /gfs/gv0 glusterfs defaults,_netdev 0 0')
  t.is(after, '# root\nUUID=1 / ext4 defaults 0 1\nhydra:/gv0 /gfs/gv0 glusterfs defaults,_netdev 0 0\n')
  t.is(withFstabLine(after, '/gfs/gv0', 'hydra:/gv0 /gfs/gv0 glusterfs defaults,_netdev 0 0'), after)
  t.is(withFstabLine('', '/x', 'a /x t o 0 0'), 'a /x t o 0 0\n')
})

test('sysctl: SYN retries lowered in the sysctl.d file', (t) => {
  t.regex(sysctlFile(), /^net\.ipv4\.tcp_syn_retries = 3$/m)
})
