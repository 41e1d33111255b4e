// Cases for the bricks, heals and split-brain tasks.
import type { BrickIdentity } from '../../src/facts/bricks.ts'
import type { GlusterdStore, StoredPeer } from '../../src/facts/glusterd-store.ts'
import { host } from '../helpers/hosts.ts'
import type { TaskSuite } from '../helpers/task-cases.ts'
import { brickStatus, heal, peer, volume, volumeId } from './facts.ts'

const brick = (b: Partial<BrickIdentity>): BrickIdentity => ({ exists: true, volumeId, hasData: true, ...b })
const policy = [host('hydra', {}, { splitBrainPolicy: 'latest-mtime' }), host('plexus', {}, { splitBrainPolicy: 'latest-mtime' })]
const healed = { state: { bricks: heal(0), splitBrainFiles: [] } }

// the commit, with one glusterd restart when glusterd takes its own brick for a new one (a reinstalled host),
// waiting while a peer is not connected yet or another command holds the volume's lock
const commit = 'gluster --mode=script volume reset-brick gv0 plexus:/data/brick1/gv0 plexus:/data/brick1/gv0 commit force'
const resetCommit =
  `restarted=; for i in $(seq 30); do out=$(${commit} 2>&1) && exit 0; case "$out" in *'destination brick is new'*) [ -z "$restarted" ] || break; restarted=1; ` +
  `systemctl reset-failed glusterd.service; systemctl restart glusterd.service || exit 1;; *'not connected'*) ;; *) break;; esac; sleep 2; done; printf '%s\n' "$out" >&2; exit 1`

const oldUuid = '3acee99b-0bed-4ad1-98a4-c54893f09b0f'
const newUuid = '11111111-2222-3333-4444-555555555555'
const hydraUuid = '618c3a77-4217-4ce4-9ce6-3c27f9d417b1'
const seenByHydra = [{ ...peer('plexus'), uuid: oldUuid }, { ...peer('localhost'), uuid: hydraUuid }]
const stored = (name: string, uuid: string): StoredPeer => ({ uuid, names: [name] })
const store = (uuid: string): GlusterdStore => ({ uuid, peers: [], brickHosts: [] })
/** with glusterd stopped, every peer entry that is plexus itself goes: by these UUIDs or by its name or address */
const dropSelf = (...uuids: string[]) =>
  `for f in /var/lib/glusterd/peers/*; do [ -f "$f" ] || continue; if grep -qx ${uuids.map((u) => `-e uuid=${u} `).join('')}-e 'hostname[0-9]*=plexus' -e 'hostname[0-9]*=plexus\\.test' "$f"; then rm -f -- "$f"; fi; done`
/** plexus's store once it is a member again: hydra as its peer, gv0's bricks on both */
const joined: GlusterdStore = { uuid: oldUuid, peers: [stored('hydra', hydraUuid)], brickHosts: [stored('hydra', hydraUuid), stored('plexus', oldUuid)] }

/** plexus reinstalled: takes back its old UUID, drops entries for itself, rejoins hydra, reads the volume back */
const rejoinAsOld = [
  'systemctl stop glusterd && mkdir -p /var/lib/glusterd/peers',
  `if [ -f /var/lib/glusterd/glusterd.info ]; then sed -i 's/^UUID=.*/UUID=${oldUuid}/' /var/lib/glusterd/glusterd.info; else echo UUID=${oldUuid} > /var/lib/glusterd/glusterd.info; fi`,
  dropSelf(oldUuid, newUuid),
  `printf 'uuid=%s\\nstate=3\\nhostname1=%s\\n' ${hydraUuid} hydra > /var/lib/glusterd/peers/${hydraUuid}`,
  'systemctl reset-failed glusterd.service; systemctl start glusterd.service',
  "n=0; until gluster --mode=script volume list 2>/dev/null | grep -qv '^No volumes'; do n=$((n+1)); [ $n -lt 30 ] || exit 1; sleep 2; done",
  'systemctl reset-failed glusterd.service; systemctl restart glusterd.service',
  'n=0; until gluster --mode=script pool list >/dev/null 2>&1; do n=$((n+1)); [ $n -lt 30 ] || exit 1; sleep 1; done',
]

export const repairSuites: TaskSuite[] = [
  {
    task: 'glusterd identity',
    cases: [
      {
        name: 'a reinstalled host takes back the UUID the others know it by, rejoins, and reads the volume back from its store',
        on: 'plexus',
        facts: { store: store(newUuid), 'seen:hydra': seenByHydra },
        commands: rejoinAsOld,
        after: { store: joined, 'seen:hydra': undefined },
      },
      {
        name: 'a rejoining host never writes down a stale second entry the other host keeps for it (it would be a peer that is itself)',
        on: 'plexus',
        facts: { store: store(newUuid), 'seen:hydra': [...seenByHydra, { ...peer('plexus'), uuid: '99999999-2222-3333-4444-555555555555' }] },
        commands: rejoinAsOld,
        after: { store: joined, 'seen:hydra': undefined },
      },
      {
        name: 'a host whose /var/lib/glusterd was emptied but kept its UUID rejoins under it',
        on: 'plexus',
        facts: { store: store(oldUuid), 'seen:hydra': seenByHydra },
        changes: [`keep the glusterd UUID ${oldUuid} and rejoin the pool of hydra`],
        after: { store: joined, 'seen:hydra': undefined },
      },
      {
        name: "a host that lost its peer entry (glusterd will not start) gets it back from its volumes' bricks",
        on: 'plexus',
        facts: { store: { ...joined, peers: [] }, 'seen:hydra': undefined },
        commands: [
          'systemctl stop glusterd && mkdir -p /var/lib/glusterd/peers',
          dropSelf(oldUuid),
          `printf 'uuid=%s\\nstate=3\\nhostname1=%s\\n' ${hydraUuid} hydra > /var/lib/glusterd/peers/${hydraUuid}`,
          'systemctl reset-failed glusterd.service; systemctl start glusterd.service',
          'n=0; until gluster --mode=script pool list >/dev/null 2>&1; do n=$((n+1)); [ $n -lt 30 ] || exit 1; sleep 1; done',
        ],
        after: { store: joined },
      },
      {
        name: "a glusterd.info glusterd made anew after it was lost gets back the UUID the volumes know this host by",
        on: 'plexus',
        facts: { store: { ...joined, uuid: newUuid }, 'seen:hydra': undefined },
        changes: [`restore the UUID ${oldUuid} its volumes know plexus by (/var/lib/glusterd/glusterd.info says ${newUuid}: it was lost) (glusterd does not start, or is refused by the pool, without them)`],
        after: { store: joined },
      },
      {
        name: "glusterd ran under the made-up UUID: it rewrote its own brick records and took its old UUID for a peer; the pool's word decides",
        on: 'plexus',
        facts: {
          store: { uuid: newUuid, peers: [...joined.peers, stored('plexus', oldUuid)], brickHosts: [stored('hydra', hydraUuid), stored('plexus', newUuid)] },
          'seen:hydra': seenByHydra,
        },
        commands: [
          'systemctl stop glusterd && mkdir -p /var/lib/glusterd/peers',
          `if [ -f /var/lib/glusterd/glusterd.info ]; then sed -i 's/^UUID=.*/UUID=${oldUuid}/' /var/lib/glusterd/glusterd.info; else echo UUID=${oldUuid} > /var/lib/glusterd/glusterd.info; fi`,
          `for f in /var/lib/glusterd/vols/*/bricks/*; do if grep -qx hostname=plexus "$f"; then sed -i 's/^uuid=.*/uuid=${oldUuid}/' "$f"; fi; done`,
          dropSelf(oldUuid, newUuid),
          'systemctl reset-failed glusterd.service; systemctl start glusterd.service',
          'n=0; until gluster --mode=script pool list >/dev/null 2>&1; do n=$((n+1)); [ $n -lt 30 ] || exit 1; sleep 1; done',
        ],
        after: { store: joined, 'seen:hydra': undefined },
      },
      {
        name: 'running under a made-up UUID, glusterd took its own old UUID for a peer: that entry goes with the UUID taken back',
        on: 'plexus',
        facts: { store: { ...joined, uuid: newUuid, peers: [...joined.peers, stored('plexus', oldUuid)] }, 'seen:hydra': undefined },
        commands: [
          'systemctl stop glusterd && mkdir -p /var/lib/glusterd/peers',
          `if [ -f /var/lib/glusterd/glusterd.info ]; then sed -i 's/^UUID=.*/UUID=${oldUuid}/' /var/lib/glusterd/glusterd.info; else echo UUID=${oldUuid} > /var/lib/glusterd/glusterd.info; fi`,
          dropSelf(oldUuid, newUuid),
          'systemctl reset-failed glusterd.service; systemctl start glusterd.service',
          'n=0; until gluster --mode=script pool list >/dev/null 2>&1; do n=$((n+1)); [ $n -lt 30 ] || exit 1; sleep 1; done',
        ],
        after: { store: joined },
      },
      {
        name: "a lost glusterd.info (and peer entry) is taken back from the volumes' record of this host",
        on: 'plexus',
        facts: { store: { ...joined, uuid: '', peers: [] }, 'seen:hydra': undefined },
        commands: [
          'systemctl stop glusterd && mkdir -p /var/lib/glusterd/peers',
          `if [ -f /var/lib/glusterd/glusterd.info ]; then sed -i 's/^UUID=.*/UUID=${oldUuid}/' /var/lib/glusterd/glusterd.info; else echo UUID=${oldUuid} > /var/lib/glusterd/glusterd.info; fi`,
          dropSelf(oldUuid),
          `printf 'uuid=%s\\nstate=3\\nhostname1=%s\\n' ${hydraUuid} hydra > /var/lib/glusterd/peers/${hydraUuid}`,
          'systemctl reset-failed glusterd.service; systemctl start glusterd.service',
          'n=0; until gluster --mode=script pool list >/dev/null 2>&1; do n=$((n+1)); [ $n -lt 30 ] || exit 1; sleep 1; done',
        ],
        after: { store: joined },
      },
      { name: 'a host in the pool is left alone (the others are not even asked)', on: 'plexus', facts: { store: joined, 'seen:hydra': undefined }, reason: /a peer entry for every host/ },
      { name: 'peers but no volume yet', on: 'plexus', facts: { store: { ...store(oldUuid), peers: [stored('hydra', hydraUuid)] }, 'seen:hydra': undefined }, reason: /a peer entry for every host/ },
      { name: 'a new pool: nobody knows this host yet', on: 'plexus', facts: { store: store(newUuid), 'seen:hydra': [] }, reason: /a new pool/ },
      { name: 'a fresh glusterd without a UUID yet, in a new pool', on: 'plexus', facts: { store: store(''), 'seen:hydra': undefined }, reason: /a new pool/ },
      { name: 'the other host cannot be asked', on: 'plexus', facts: { store: store(newUuid), 'seen:hydra': undefined }, reason: /no other host knows/ },
    ],
  },
  {
    task: 'glusterd identity known to the pool',
    cases: [
      {
        name: 'once the other glusterd runs, a host it refuses (made-up UUID, its own records rewritten) is told who it is',
        on: 'plexus',
        facts: { store: { uuid: newUuid, peers: joined.peers, brickHosts: [stored('hydra', hydraUuid), stored('plexus', newUuid)] }, 'seen:hydra': seenByHydra },
        changes: [
          `restore the UUID ${oldUuid} hydra knows plexus by (/var/lib/glusterd/glusterd.info says ${newUuid}: it was lost), its own bricks' records (glusterd does not start, or is refused by the pool, without them)`,
        ],
        after: { store: joined, 'seen:hydra': undefined },
      },
      { name: 'a host the pool knows as it is', on: 'plexus', facts: { store: joined, 'seen:hydra': seenByHydra }, reason: /a peer entry for every host/ },
    ],
  },
  {
    task: 'brick identity',
    cases: [
      {
        name: 'an empty brick without volume-id is reset and healed',
        on: 'plexus',
        facts: { volume: volume(), brick: brick({ volumeId: undefined, hasData: false }), initialized: false, status: brickStatus(false) },
        commands: [
          'gluster --mode=script volume reset-brick gv0 plexus:/data/brick1/gv0 start',
          resetCommit,
          'n=0; until gluster --mode=script volume heal gv0 full; do n=$((n+1)); [ $n -lt 30 ] || exit 1; sleep 2; done',
        ],
        after: { brick: brick({ hasData: false }), initialized: true, status: brickStatus(true) },
      },
      {
        name: 'a stopped volume is started with force first: reset-brick needs it started, a plain start refuses the brick',
        on: 'plexus',
        facts: { volume: volume({ started: false }), brick: brick({ volumeId: undefined, hasData: false }), initialized: false, status: [] },
        commands: [
          'gluster --mode=script volume start gv0 force',
          'gluster --mode=script volume reset-brick gv0 plexus:/data/brick1/gv0 start',
          resetCommit,
          'n=0; until gluster --mode=script volume heal gv0 full; do n=$((n+1)); [ $n -lt 30 ] || exit 1; sleep 2; done',
        ],
        after: { volume: volume(), brick: brick({ hasData: false }), initialized: true, status: brickStatus(true) },
      },
      {
        name: 'a brick a forced start stamped but that never ran is reset, not left empty',
        on: 'plexus',
        facts: { volume: volume(), brick: brick({ hasData: false }), initialized: false, status: brickStatus(false) },
        changes: ['reset-brick plexus:/data/brick1/gv0 (stamped by a forced start but never brought up) and heal it from its replica'],
        after: { initialized: true, status: brickStatus(true) },
      },
      { name: 'a new volume not started yet is left alone', on: 'plexus', facts: { volume: volume({ started: false }), brick: brick({ hasData: false }), initialized: false, status: [] }, reason: /belongs to gv0/ },
      { name: 'a brick that still holds files is never reset automatically', on: 'plexus', facts: { volume: volume(), brick: brick({ volumeId: undefined }), initialized: true, status: brickStatus(false) }, refuse: /still holds files.*reset-brick gv0 plexus:\/data\/brick1\/gv0 start/ },
      { name: 'a brick of another volume', facts: { volume: volume(), brick: brick({ volumeId: '00000000-0000-0000-0000-000000000000' }), initialized: true, status: brickStatus(true) }, refuse: /another volume/ },
      { name: 'its own', facts: { volume: volume(), brick: brick({}), initialized: true, status: brickStatus(true) }, reason: /belongs to gv0/ },
      { name: 'no volume yet', facts: { volume: undefined, brick: brick({ volumeId: undefined }), initialized: false, status: [] }, reason: /does not exist yet/ },
    ],
  },
  {
    task: 'brick processes online',
    cases: [
      { name: 'down bricks are started with start force', facts: { bricks: brickStatus(false) }, commands: ['gluster --mode=script volume start gv0 force'], after: { bricks: brickStatus(true) } },
    ],
  },
  {
    task: 'pending heals',
    cases: [
      { name: 'triggered while entries are pending', facts: { state: { bricks: heal(3), splitBrainFiles: [] } }, changes: ['heal 3 pending entries'], after: healed },
      { name: 'refused while a brick is unreachable', facts: { state: { bricks: heal(3, 0, false), splitBrainFiles: [] } }, refuse: /unreachable/ },
      { name: 'an empty heal index asks gluster nothing', facts: { state: { bricks: [], splitBrainFiles: [], indexEmpty: true } }, reason: /heal index/ },
    ],
  },
  {
    task: 'split-brain files',
    cases: [
      { name: 'listed without a policy', facts: { state: { bricks: heal(0, 1), splitBrainFiles: ['/docs/a.txt'] } }, refuse: /1 file\(s\) in split brain: \/docs\/a.txt.*split-brain source-brick/ },
      {
        name: 'resolved with one',
        hosts: policy,
        facts: { state: { bricks: heal(0, 2), splitBrainFiles: ['/docs/a.txt', '<gfid:1234>'] } },
        commands: ['gluster --mode=script volume heal gv0 split-brain latest-mtime /docs/a.txt', 'gluster --mode=script volume heal gv0 split-brain latest-mtime gfid:1234'],
        after: healed,
      },
      { name: 'an empty heal index', facts: { state: { bricks: [], splitBrainFiles: [], indexEmpty: true } }, reason: /no split-brain/ },
    ],
  },
]
