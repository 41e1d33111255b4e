// A reinstalled host (new disk, same name) takes back its old place in the pool: the other hosts still
// know it by its old glusterd UUID, so it gets that UUID again instead of being a stranger they reject.
import { sh } from '../engine/command.ts'
import { shell } from '../engine/quote.ts'
import { change, changes, fact, noop, refuse, task, type Task, type TaskContext } from '../engine/task.ts'
import { commandFailed } from '../facts/answer.ts'
import { parsePeers, peers, type Peer } from '../facts/gluster.ts'
import { glusterScript } from '../facts/gluster-cli.ts'

const infoFile = '/var/lib/glusterd/glusterd.info'

/** This host's glusterd UUID ('' before glusterd made one: it does so at its first pool or volume operation). */
const ownUuid = () =>
  fact('glusterd uuid', sh`if [ -f ${infoFile} ]; then sed -n 's/^UUID=//p' ${infoFile}; fi`, (r) => {
    if (r.exitCode !== 0 || !/^([0-9a-f-]{36}\n)?$/.test(r.stdout)) throw commandFailed(r)
    return r.stdout.trim()
  })

/**
 * The pool as another host's glusterd sees it, itself included as "localhost" (read-only remote CLI); undefined when it cannot be asked,
 * or was not asked because this glusterd has peers of its own (every run but the first after a reinstall).
 */
const poolSeenBy = (other: string) =>
  fact(
    `gluster peers seen by ${other}`,
    sh`if [ -n "$(ls -A /var/lib/glusterd/peers 2>/dev/null)" ]; then echo not-asked; else timeout 30 gluster --mode=script --remote-host=${other} pool list --xml 2>/dev/null || echo not-asked; fi`,
    (r) => (r.stdout.trim() === 'not-asked' ? undefined : parsePeers(r)),
  )

const knows = (list: Peer[], name: string) => list.find((p) => p.hostname === name || p.otherNames.includes(name))

/**
 * A host whose glusterd knows no peer while another host of the inventory still lists it under another
 * UUID was reinstalled: it gets its old UUID back and probes that host, which then hands it the volume.
 */
export function glusterIdentityRestored(): Task {
  const others = (ctx: TaskContext) => ctx.hosts.filter((h) => h.name !== ctx.host.name)
  return task({
    name: 'glusterd identity',
    tags: ['gluster', 'repair'],
    when: (ctx) => others(ctx).length > 0 || 'a single host',
    facts: (ctx) => ({
      uuid: ownUuid(),
      pool: peers(),
      ...Object.fromEntries(others(ctx).map((h) => [`seen:${h.name}`, poolSeenBy(h.name)])),
    }),
    plan: (facts, ctx) => {
      const { uuid, pool } = facts as { uuid: string; pool: Peer[] }
      if (pool.length > 0) return noop(`glusterd ${uuid} knows ${pool.length} peer(s)`)
      const views = others(ctx).flatMap((h) => {
        const seen = (facts as unknown as Record<string, Peer[] | undefined>)[`seen:${h.name}`]
        const me = seen && knows(seen, ctx.host.name)
        return me && seen ? [{ by: h.name, uuid: me.uuid, pool: seen.filter((p) => p !== me).map((p) => ({ uuid: p.uuid, name: p.hostname === 'localhost' ? h.name : p.hostname })) }] : []
      })
      if (views.length === 0) return noop(`no other host knows ${ctx.host.name} yet (a new pool)`)
      const { uuid: old, by: via, pool: members } = views[0]!
      if (views.some((v) => v.uuid !== old))
        return refuse(`the other hosts know ${ctx.host.name} under different UUIDs (${views.map((v) => `${v.by}: ${v.uuid}`).join(', ')}); fix the pool by hand`)
      if (old === uuid) return noop(`glusterd ${uuid} is the one ${via} knows`)
      // gluster's procedure for a host replaced under the same name: its old UUID, and the pool's members
      // written as peers in the cluster; glusterd then shakes hands with them and receives the volumes
      const peerFiles = members.map((m) => sh`printf 'uuid=%s\\nstate=3\\nhostname1=%s\\n' ${m.uuid} ${m.name} > ${`/var/lib/glusterd/peers/${m.uuid}`}`)
      return changes(
        change(
          `take back the glusterd UUID ${old} ${via} knows ${ctx.host.name} by (this glusterd is new: ${uuid || 'no UUID yet'}) and rejoin the pool of ${members.map((m) => m.name).join(', ')}`,
          sh`systemctl stop glusterd && if [ -f ${infoFile} ]; then sed -i ${`s/^UUID=.*/UUID=${old}/`} ${infoFile}; else echo ${`UUID=${old}`} > ${infoFile}; fi && mkdir -p /var/lib/glusterd/peers`,
          ...peerFiles,
          sh`systemctl start glusterd`,
          glusterScript(shell`n=0; until gfs_gluster volume list | grep -qv '^No volumes'; do n=$((n+1)); [ $n -lt 30 ] || exit 1; sleep 2; done`),
        ),
      )
    },
  })
}
