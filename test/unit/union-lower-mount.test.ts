// The union's own gv0 client (docs/cut-link.md): its mount unit, the units that depend on it, the config key.
import test from 'ava'
import { parseConfig } from '../../src/agent/service/config.ts'
import { agentUnits } from '../../src/agent/service/units.ts'
import { overlayLowerDir } from '../../src/agent/fs/union-lower.ts'
import { unionLowerMountUnit } from '../../src/tasks/union-lower-mount.ts'
import { agentConfig } from '../../src/tasks/writecache.ts'
import { host, inventory } from '../helpers/hosts.ts'

const base = { host: 'hydra', upper: '/data/writecache/upper', work: '/data/writecache/work', lower: '/gfs/gv0', union: '/gfs/union' }

test('its unit: gv0 from this host (the other as backup), read-only, quorum off in every replica set, no [Install]', (t) => {
  const hosts = [host('hydra'), host('plexus'), host('arbiter1', { role: 'arbiter' })]
  const u = unionLowerMountUnit({ host: hosts[0]!, hosts, inventory: inventory(hosts), check: false })
  t.is(u.name, 'run-gfs\\x2dwritecache\\x2dunion\\x2dlower.mount')
  t.regex(u.content, /^What=hydra:\/gv0$/m)
  t.regex(u.content, /^Where=\/run\/gfs-writecache-union-lower$/m)
  t.regex(u.content, /^Type=glusterfs$/m)
  t.is(u.content.match(/^Options=(.*)$/m)?.[1], 'ro,_netdev,acl,backup-volfile-servers=plexus,xlator-option=gv0-replicate-*.quorum-type=none')
  t.notRegex(u.content, /\[Install\]/)
})

test('the provisioned union sits on it, requires it and orders the prepare step after it; /gfs/gv0 stays required', (t) => {
  const cfg = agentConfig(host('hydra'))
  t.is(overlayLowerDir(cfg), '/run/gfs-writecache-union-lower')
  const [prepare, union] = agentUnits(cfg)
  t.regex(union!.content, /^Requires=gfs-gv0\.mount run-gfs\\x2dwritecache\\x2dunion\\x2dlower\.mount gfs-writecache-prepare\.service$/m)
  t.regex(union!.content, /^Options=lowerdir=\/run\/gfs-writecache-union-lower,/m)
  t.regex(prepare!.content, /^After=gfs-gv0\.mount run-gfs\\x2dwritecache\\x2dunion\\x2dlower\.mount$/m)
})

test('a config without it keeps the union on lower itself; brick mode keeps its bind', (t) => {
  t.is(overlayLowerDir(parseConfig(base)), '/gfs/gv0')
  t.is(overlayLowerDir(parseConfig({ ...base, unionLowerMount: '/run/x' })), '/run/x')
  t.is(overlayLowerDir(parseConfig({ ...base, unionLowerMount: '/run/x', unionLower: 'brick', brick: '/data/brick1/gv0' })), '/run/gfs-writecache-lower')
})

test('config: unionLowerMount must be an absolute path apart from the others, fit in overlay options', (t) => {
  t.throws(() => parseConfig({ ...base, unionLowerMount: 'run/x' }), { message: /unionLowerMount: expected an absolute path/ })
  t.throws(() => parseConfig({ ...base, unionLowerMount: '/run/a,b' }), { message: /unionLowerMount: overlay mount options cannot carry/ })
  t.throws(() => parseConfig({ ...base, unionLowerMount: '/gfs/gv0/sub' }), { message: /unionLowerMount: must be apart from/ })
  t.throws(() => parseConfig({ ...base, unionLowerMount: 7 }), { message: /unionLowerMount: expected an absolute path/ })
})
