// glusterd's place in the pool, put back from what the pool remembers (docs/replaced-server.md):
// - a reinstalled host (new disk, same name) gets the UUID the other hosts still know it by, instead of
//   being a stranger they reject, and its peers; the pool then hands it the volume;
// - a host that lost peer entries its volumes' bricks need (glusterd does not even start then) gets them
//   back from its own volume store: gluster refuses `peer detach` of a brick's host, so this is the form
//   a detached peer takes;
// - a host that lost glusterd.info (glusterd then makes up a UUID the pool refuses) gets its UUID back.
import { sh } from '../engine/command.ts'
import { raw } from '../engine/quote.ts'
import { change, changes, fact, noop, refuse, task, type Task, type TaskContext } from '../engine/task.ts'
import { parsePeers, type Peer } from '../facts/gluster.ts'
import { glusterdRestart, glusterdStart } from './glusterd-unit.ts'
import { glusterdDir, glusterdStore, type GlusterdStore, type StoredPeer } from '../facts/glusterd-store.ts'

const infoFile = `${glusterdDir}/glusterd.info`

/**
 * The pool as another host's glusterd sees it, itself included as "localhost" (read-only remote CLI); undefined
 * when it cannot be asked, or when nothing here suggests this glusterd lost its place: it is asked only for a
 * blank store, a glusterd that does not answer or sees a peer disconnected or rejected (the pool refuses a
 * glusterd whose UUID it does not know), or a peer entry that names this host itself.
 */
const poolSeenBy = (other: string, self: string) =>
  fact(
    `gluster peers seen by ${other}`,
    sh`ask() { timeout 10 gluster --mode=script --remote-host=${other} pool list --xml 2>/dev/null || echo not-asked; }
if [ -z "$(find ${glusterdDir}/peers ${glusterdDir}/vols -mindepth 1 -maxdepth 1 2>/dev/null | head -n 1)" ]; then ask
elif ! out=$(timeout 10 gluster --mode=script peer status 2>/dev/null); then ask
elif printf '%s' "$out" | grep -q -e Disconnected -e Rejected; then ask
elif grep -qsx ${`hostname[0-9]*=${self}`} ${glusterdDir}/peers/*; then ask
else echo not-asked; fi`,
    (r) => (r.stdout.trim() === 'not-asked' ? undefined : parsePeers(r)),
  )

const knows = (list: Peer[], name: string) => list.find((p) => p.hostname === name || p.otherNames.includes(name))

/** The peer entry glusterd's replacement procedure writes: befriended (state 3), by name. */
const peerFile = (p: { uuid: string; name: string }) => sh`printf 'uuid=%s\\nstate=3\\nhostname1=%s\\n' ${p.uuid} ${p.name} > ${`${glusterdDir}/peers/${p.uuid}`}`

/**
 * Drops, with glusterd stopped, every peer entry that is this host itself: by one of its UUIDs or by its
 * name. Decided when it runs, not when planned: a glusterd running under a made-up UUID takes the entry the
 * pool has for this host as a stranger's from any friend update, also one that arrives after the facts were
 * read (the other host's glusterd coming back in the same repair). Restarted under that UUID, glusterd
 * sends its cluster lock to itself too, and refuses it ("Locking failed on HOST", for good).
 */
const dropSelfEntries = (uuids: string[], names: string[]) => {
  const patterns = [...new Set(uuids.filter(Boolean))].map((u) => `uuid=${u}`).concat([...new Set(names)].map((n) => `hostname[0-9]*=${n.replace(/[.[\]*^$]/g, '\\$&')}`))
  return sh`for f in ${raw(`${glusterdDir}/peers/*`)}; do [ -f "$f" ] || continue; if grep -qx ${patterns.flatMap((p) => ['-e', p])} "$f"; then rm -f -- "$f"; fi; done`
}

/** glusterd.info with this UUID (its other lines, such as the op-version, kept). */
const setUuid = (uuid: string) => sh`if [ -f ${infoFile} ]; then sed -i ${`s/^UUID=.*/UUID=${uuid}/`} ${infoFile}; else echo ${`UUID=${uuid}`} > ${infoFile}; fi`

/** glusterd answers its CLI again (it forks before it listens). */
const glusterdAnswers = sh`n=0; until gluster --mode=script pool list >/dev/null 2>&1; do n=$((n+1)); [ $n -lt 30 ] || exit 1; sleep 1; done`

/**
 * A blank glusterd that the pool knows: gluster's procedure for a host replaced under the same name, its old
 * UUID and the pool's members written as peers; glusterd then shakes hands with them and receives the
 * volumes. It is started once more after that: only a glusterd that reads a volume from its store takes that
 * volume's local brick paths as its own, and reset-brick needs that (a brick imported by the handshake reads
 * as a new one).
 */
function rejoin(view: { by: string; uuid: string; pool: { uuid: string; name: string }[] } | undefined, uuid: string, names: string[]) {
  const name = names[0]!
  if (!view) return noop(`no other host knows ${name} yet (a new pool)`)
  const { uuid: old, by: via } = view
  // a stale second entry the other host keeps for this host is not a member to write down
  const members = view.pool.filter((m) => m.uuid !== old && m.uuid !== uuid && !names.includes(m.name))
  return changes(
    change(
      `${old === uuid ? `keep the glusterd UUID ${old}` : `take back the glusterd UUID ${old} ${via} knows ${name} by (this glusterd is new: ${uuid || 'no UUID yet'})`} and rejoin the pool of ${members.map((m) => m.name).join(', ')}`,
      sh`systemctl stop glusterd && mkdir -p ${`${glusterdDir}/peers`}`,
      ...(old === uuid ? [] : [setUuid(old)]),
      dropSelfEntries([old, uuid], names),
      ...members.map(peerFile),
      glusterdStart,
      sh`n=0; until gluster --mode=script volume list 2>/dev/null | grep -qv '^No volumes'; do n=$((n+1)); [ $n -lt 30 ] || exit 1; sleep 2; done`,
      glusterdRestart,
      glusterdAnswers,
    ),
  )
}

/**
 * glusterd gets back its place in the pool: the UUID the others know this host by (a reinstall, a lost
 * glusterd.info), and every peer entry its volumes' bricks need (lost entries). It runs before glusterd is
 * started (glusterd does not start without those entries), and again once every host's glusterd runs
 * (`poolUp`): a host can only ask the others when they answer, and two hosts may be broken at once.
 */
export function glusterIdentityRestored(options: { poolUp?: boolean } = {}): Task {
  const others = (ctx: TaskContext) => ctx.hosts.filter((h) => h.name !== ctx.host.name)
  return task({
    name: options.poolUp ? 'glusterd identity known to the pool' : 'glusterd identity',
    tags: ['gluster', 'repair'],
    when: (ctx) => others(ctx).length > 0 || 'a single host',
    facts: (ctx) => ({
      store: glusterdStore(),
      ...Object.fromEntries(others(ctx).map((h) => [`seen:${h.name}`, poolSeenBy(h.name, ctx.host.name)])),
    }),
    plan: (facts, ctx) => {
      const { store } = facts as { store: GlusterdStore }
      const { uuid } = store
      const name = ctx.host.name
      const names = [name, ctx.host.address].filter((n, i, all) => n && all.indexOf(n) === i)
      const views = others(ctx).flatMap((h) => {
        const seen = (facts as unknown as Record<string, Peer[] | undefined>)[`seen:${h.name}`]
        const me = seen && knows(seen, name)
        return me && seen ? [{ by: h.name, uuid: me.uuid, pool: seen.filter((p) => p !== me).map((p) => ({ uuid: p.uuid, name: p.hostname === 'localhost' ? h.name : p.hostname })) }] : []
      })
      if (views.some((v) => v.uuid !== views[0]!.uuid))
        return refuse(`the other hosts know ${name} under different UUIDs (${views.map((v) => `${v.by}: ${v.uuid}`).join(', ')}); fix the pool by hand`)
      if (store.peers.length === 0 && store.brickHosts.length === 0) return rejoin(views[0], uuid, names)
      const mine = (p: StoredPeer) => p.names.some((n) => names.includes(n))
      // Who this host is: what the pool knows it by, else what its volumes record (a glusterd that ran under a
      // made-up UUID after glusterd.info was lost rewrites its own brick records, so the pool's word comes first).
      const own = views[0]?.uuid ?? store.brickHosts.find(mine)?.uuid ?? uuid
      const lost = own !== uuid
      const wrongRecords = store.brickHosts.some((h) => mine(h) && h.uuid !== own)
      // running under a made-up UUID, glusterd may also have taken its own old UUID for a peer
      const selfEntries = store.peers.filter((p) => p.uuid === own || p.uuid === uuid || mine(p))
      const entered = new Set(store.peers.map((p) => p.uuid))
      const missing = store.brickHosts.filter((h) => !mine(h) && h.uuid !== own && !entered.has(h.uuid))
      if (!lost && !wrongRecords && selfEntries.length === 0 && missing.length === 0)
        return noop(`glusterd ${uuid} has a peer entry for every host of its volumes' bricks`)
      const what = [
        lost && `the UUID ${own} ${views[0] ? `${views[0].by} knows` : 'its volumes know'} ${name} by (${infoFile} says ${uuid || 'nothing'}: it was lost)`,
        wrongRecords && `its own bricks' records`,
        selfEntries.length > 0 && 'no peer entry for itself',
        missing.length > 0 && `the peer entries of ${missing.map((p) => p.names[0] ?? p.uuid).join(', ')}`,
      ].filter(Boolean)
      return changes(
        change(
          `restore ${what.join(', ')} (glusterd does not start, or is refused by the pool, without them)`,
          sh`systemctl stop glusterd && mkdir -p ${`${glusterdDir}/peers`}`,
          ...(lost ? [setUuid(own)] : []),
          ...(wrongRecords ? [sh`for f in ${glusterdDir}/vols/*/bricks/*; do if grep -qx ${`hostname=${name}`} "$f"; then sed -i ${`s/^uuid=.*/uuid=${own}/`} "$f"; fi; done`] : []),
          dropSelfEntries([own, uuid, ...selfEntries.map((p) => p.uuid)], names),
          ...missing.map((p) => peerFile({ uuid: p.uuid, name: p.names[0] ?? '' })),
          glusterdStart,
          glusterdAnswers,
        ),
      )
    },
  })
}
