// glusterd's place in the pool, put back from what the pool remembers (docs/replaced-server.md):
// - a reinstalled host (new disk, same name) gets the UUID the other hosts still know it by, instead of
//   being a stranger they reject, and its peers; the pool then hands it the volume;
// - a host that lost peer entries its volumes' bricks need (glusterd does not even start then) gets them
//   back from its own volume store: gluster refuses `peer detach` of a brick's host, so this is the form
//   a detached peer takes.
import { sh, type Command } from '../engine/command.ts'
import { change, changes, fact, noop, refuse, task, type Task, type TaskContext } from '../engine/task.ts'
import { parsePeers, type Peer } from '../facts/gluster.ts'
import { glusterdDir, glusterdStore, type GlusterdStore, type StoredPeer } from '../facts/glusterd-store.ts'

const infoFile = `${glusterdDir}/glusterd.info`

/**
 * The pool as another host's glusterd sees it, itself included as "localhost" (read-only remote CLI); undefined
 * when it cannot be asked, or was not asked because this glusterd has peers or volumes of its own (every run
 * but the first after a reinstall: a blank glusterd is the only one that needs the others' memory).
 */
const poolSeenBy = (other: string) =>
  fact(
    `gluster peers seen by ${other}`,
    sh`if [ -n "$(find ${glusterdDir}/peers ${glusterdDir}/vols -mindepth 1 -maxdepth 1 2>/dev/null | head -n 1)" ]; then echo not-asked; else timeout 30 gluster --mode=script --remote-host=${other} pool list --xml 2>/dev/null || echo not-asked; fi`,
    (r) => (r.stdout.trim() === 'not-asked' ? undefined : parsePeers(r)),
  )

const knows = (list: Peer[], name: string) => list.find((p) => p.hostname === name || p.otherNames.includes(name))

/** The peer entry glusterd's replacement procedure writes: befriended (state 3), by name. */
const peerFile = (p: { uuid: string; name: string }) => sh`printf 'uuid=%s\\nstate=3\\nhostname1=%s\\n' ${p.uuid} ${p.name} > ${`${glusterdDir}/peers/${p.uuid}`}`

/** glusterd.info with this UUID (its other lines, such as the op-version, kept). */
const setUuid = (uuid: string) => sh`if [ -f ${infoFile} ]; then sed -i ${`s/^UUID=.*/UUID=${uuid}/`} ${infoFile}; else echo ${`UUID=${uuid}`} > ${infoFile}; fi`

/** glusterd answers its CLI again (it forks before it listens). */
const glusterdAnswers = sh`n=0; until gluster --mode=script pool list >/dev/null 2>&1; do n=$((n+1)); [ $n -lt 30 ] || exit 1; sleep 1; done`

/**
 * glusterd gets back its place in the pool before it is started: the UUID the others know this host by
 * (a reinstall), and every peer entry its volumes' bricks need (lost entries).
 */
export function glusterIdentityRestored(): Task {
  const others = (ctx: TaskContext) => ctx.hosts.filter((h) => h.name !== ctx.host.name)
  return task({
    name: 'glusterd identity',
    tags: ['gluster', 'repair'],
    when: (ctx) => others(ctx).length > 0 || 'a single host',
    facts: (ctx) => ({
      store: glusterdStore(),
      ...Object.fromEntries(others(ctx).map((h) => [`seen:${h.name}`, poolSeenBy(h.name)])),
    }),
    plan: (facts, ctx) => {
      const { store } = facts as { store: GlusterdStore }
      const { uuid } = store
      const entered = new Set(store.peers.map((p) => p.uuid))
      if (store.brickHosts.length > 0) {
        const self = store.brickHosts.find((h) => h.names.includes(ctx.host.name))
        // A lost glusterd.info comes back with a UUID glusterd just made up (it writes one at start): the pool
        // knows this host by the one its volumes record. A store whose peers include that UUID is another
        // host's (copied here): not ours to rewrite.
        if (self && self.uuid !== uuid && entered.has(self.uuid))
          return refuse(
            `${glusterdDir} lists ${ctx.host.name}'s UUID ${self.uuid} among its own peers: it looks like another host's glusterd store. ` +
              `Check which disk holds ${glusterdDir}; nothing was changed`,
          )
        const own = self?.uuid ?? uuid
        const lostInfo = self && self.uuid !== uuid
        const missing = store.brickHosts.filter((h) => h.uuid !== own && !entered.has(h.uuid))
        if (missing.length === 0 && !lostInfo) return noop(`glusterd ${uuid} has a peer entry for every host of its volumes' bricks`)
        const names = (list: StoredPeer[]) => list.map((p) => p.names[0] ?? p.uuid).join(', ')
        const what = [
          lostInfo && `the UUID ${own} its volumes know ${ctx.host.name} by (${infoFile} says ${uuid || 'nothing'}: it was lost)`,
          missing.length > 0 && `the peer entries of ${names(missing)}`,
        ].filter(Boolean)
        return changes(
          change(
            `restore ${what.join(' and ')} from the volumes' record of their bricks (glusterd does not start without them)`,
            sh`systemctl stop glusterd && mkdir -p ${`${glusterdDir}/peers`}`,
            ...(lostInfo ? [setUuid(own)] : []),
            ...missing.map((p) => peerFile({ uuid: p.uuid, name: p.names[0] ?? '' })),
            sh`systemctl start glusterd`,
            glusterdAnswers,
          ),
        )
      }
      if (store.peers.length > 0) return noop(`glusterd ${uuid} knows ${store.peers.length} peer(s) and has no volume yet`)
      const views = others(ctx).flatMap((h) => {
        const seen = (facts as unknown as Record<string, Peer[] | undefined>)[`seen:${h.name}`]
        const me = seen && knows(seen, ctx.host.name)
        return me && seen ? [{ by: h.name, uuid: me.uuid, pool: seen.filter((p) => p !== me).map((p) => ({ uuid: p.uuid, name: p.hostname === 'localhost' ? h.name : p.hostname })) }] : []
      })
      if (views.length === 0) return noop(`no other host knows ${ctx.host.name} yet (a new pool)`)
      const { uuid: old, by: via, pool: members } = views[0]!
      if (views.some((v) => v.uuid !== old))
        return refuse(`the other hosts know ${ctx.host.name} under different UUIDs (${views.map((v) => `${v.by}: ${v.uuid}`).join(', ')}); fix the pool by hand`)
      const takeBack: Command[] = old === uuid ? [] : [setUuid(old)]
      // gluster's procedure for a host replaced under the same name: its old UUID, and the pool's members
      // written as peers; glusterd then shakes hands with them and receives the volumes. It is started once
      // more after that: only a glusterd that reads a volume from its store takes that volume's local brick
      // paths as its own, and reset-brick needs that (a brick imported by the handshake reads as a new one).
      return changes(
        change(
          `${old === uuid ? `keep the glusterd UUID ${old}` : `take back the glusterd UUID ${old} ${via} knows ${ctx.host.name} by (this glusterd is new: ${uuid || 'no UUID yet'})`} and rejoin the pool of ${members.map((m) => m.name).join(', ')}`,
          sh`systemctl stop glusterd && mkdir -p ${`${glusterdDir}/peers`}`,
          ...takeBack,
          ...members.map(peerFile),
          sh`systemctl start glusterd`,
          sh`n=0; until gluster --mode=script volume list 2>/dev/null | grep -qv '^No volumes'; do n=$((n+1)); [ $n -lt 30 ] || exit 1; sleep 2; done`,
          sh`systemctl restart glusterd`,
          glusterdAnswers,
        ),
      )
    },
  })
}
