// The trusted pool and the replicated volume: probe peers, create and start gv0, keep its options.
import { change, changes, changesOr, noop, refuse, task, type Task, type TaskContext } from '../engine/task.ts'
import { brickName, peers, volumeInfo, volumeOptions, type Peer, type VolumeInfo } from '../facts/gluster.ts'
import { gluster } from '../facts/gluster-cli.ts'
import type { Host, Settings } from '../inventory/types.ts'
import { arbiterRemovalHint, lacksOnlyArbiter } from './arbiter-layout.ts'

const knows = (list: Peer[], name: string) => list.find((p) => p.hostname === name || p.otherNames.includes(name))

/** Bricks in the order the volume is created with: storage hosts first, the arbiter last. */
export function wantedBricks(hosts: Host[]): string[] {
  const ordered = [...hosts.filter((h) => h.role !== 'arbiter'), ...hosts.filter((h) => h.role === 'arbiter')]
  return ordered.map((h) => brickName({ host: h.name, path: h.settings.brick }))
}

/** Volume options chosen for two hosts over a WAN, overridden by the inventory's gluster_options. */
export function wantedOptions(hosts: Host[], settings: Settings): Record<string, string> {
  const arbiter = hosts.some((h) => h.role === 'arbiter')
  const base: Record<string, string> = {
    // Without an arbiter, writes need both bricks: no split brain can arise; the write cache
    // keeps taking writes while the other host is away and the agent publishes when it returns.
    'cluster.quorum-type': arbiter ? 'auto' : 'fixed',
    ...(arbiter ? {} : { 'cluster.quorum-count': '2' }),
    // Server quorum would stop the bricks of the surviving host in a two-host pool.
    'cluster.server-quorum-type': 'none',
    // Notice a dead link in 10 s instead of 42 s, so errors reach the agent sooner.
    'network.ping-timeout': '10',
    // The bricks notice a dead client as soon as the client notices a dead brick, or its stale locks
    // block creates until the next heal crawl (docs/rationale.md, "Brick-side timeouts").
    'server.tcp-user-timeout': '10',
    'server.keepalive-time': '10',
    'server.keepalive-count': '3',
    // A cut that ends while the brick still holds the old connection (about 10-16 s in) can still
    // park such an unlink: the self-heal daemon's crawl every 60 s instead of 600 caps that wait.
    // The crawl reads the heal index, which is empty in normal operation.
    'cluster.heal-timeout': '60',
    // A wiped or replaced brick is healed by a full crawl, a few round trips per entry: eight entries in
    // flight instead of one halved that heal's time in the lab (docs/rationale.md, "Heals in parallel").
    'cluster.shd-max-threads': '8',
    'cluster.favorite-child-policy': settings.splitBrainPolicy === 'latest-mtime' ? 'mtime' : settings.splitBrainPolicy === 'bigger-file' ? 'size' : 'none',
  }
  return { ...base, ...settings.glusterOptions }
}

/** How `gluster volume get` shows an option nobody set and that has no default. */
const unsetValue = '(null)'

/**
 * Options to reset to gluster's default: with an arbiter, the replica-2 quorum count (left by a volume
 * converted from replica 2) means nothing beside `quorum-type auto` and would only mislead a reader.
 */
export function unwantedOptions(hosts: Host[], settings: Settings): string[] {
  const arbiter = hosts.some((h) => h.role === 'arbiter')
  return arbiter && !('cluster.quorum-count' in settings.glusterOptions) ? ['cluster.quorum-count'] : []
}

const truthy = new Set(['on', 'true', 'yes', 'enable', '1'])
const falsy = new Set(['off', 'false', 'no', 'disable', '0'])

/** Compare gluster option values the way gluster reads them (on = true = yes = enable). */
export function sameOption(current: string | undefined, wanted: string): boolean {
  if (current === undefined) return false
  const a = current.toLowerCase()
  const b = wanted.toLowerCase()
  if (a === b) return true
  return (truthy.has(a) && truthy.has(b)) || (falsy.has(a) && falsy.has(b))
}

/** Probe every other host by name from the first host, and wait until all are in the pool. */
export function probePeers(): Task {
  return task({
    name: 'gluster peers probed',
    tags: ['gluster'],
    runOnce: true,
    facts: () => ({ pool: peers() }),
    plan: ({ pool }, ctx) => {
      const others = ctx.hosts.filter((h) => h.name !== ctx.host.name)
      return changesOr(
        `${others.map((h) => h.name).join(', ') || 'no other host'} in the pool`,
        ...others.filter((h) => !knows(pool, h.name)).map((h) => change(`probe ${h.name}`, gluster`peer probe ${h.name}`)),
      )
    },
  })
}

/** Every host sees every other as connected and in the cluster, known by name. */
export function peersInCluster(): Task {
  const waiting = (pool: Peer[], ctx: TaskContext) =>
    ctx.hosts
      .filter((h) => h.name !== ctx.host.name)
      .map((h) => ({ host: h, peer: knows(pool, h.name) ?? pool.find((p) => p.hostname === h.address) }))
      .filter(({ peer }) => !peer || !peer.connected || peer.state !== 'Peer in Cluster')
  return task({
    name: 'gluster peers in cluster',
    tags: ['gluster'],
    facts: () => ({ pool: peers() }),
    wait: {
      attempts: 60,
      delayMs: 1000,
      progress: ({ pool }) => `waiting for peers: ${pool.map((p) => `${p.hostname} ${p.state}${p.connected ? '' : ' (disconnected)'}`).join(', ') || 'none known yet'}`,
    },
    plan: ({ pool }, ctx) => {
      const others = ctx.hosts.filter((h) => h.name !== ctx.host.name)
      // A peer known only by address gets its name; a host that just joined through another is still on its way
      // here (probing it now fails: it is "part of another cluster"), so it is waited for instead.
      const settled = pool.length >= others.length && pool.every((p) => p.connected && p.state === 'Peer in Cluster')
      const byNameMissing = settled ? others.filter((h) => !knows(pool, h.name)) : []
      if (byNameMissing.length)
        return changes(...byNameMissing.map((h) => change(`probe ${h.name} by name`, gluster`peer probe ${h.name}`)))
      const pending = waiting(pool, ctx)
      if (pending.length === 0) return noop(`in cluster with ${others.map((h) => h.name).join(', ')}`)
      return changes(...pending.map(({ host, peer }) => change(`wait for ${host.name}: ${peer ? peer.state || 'unknown state' : 'not in pool'}`)))
    },
  })
}

function describe(volume: VolumeInfo): string {
  return `${volume.typeStr} replica ${volume.replicaCount} with bricks ${volume.bricks.map(brickName).join(', ')}`
}

/** The volume exists with exactly the inventory's bricks; a different volume is reported, never touched. */
export function volumeCreated(): Task {
  return task({
    name: 'gluster volume created',
    tags: ['gluster'],
    runOnce: true,
    facts: (ctx) => ({ volume: volumeInfo(ctx.host.settings.volume) }),
    plan: ({ volume }, ctx) => {
      const s = ctx.host.settings
      const bricks = wantedBricks(ctx.hosts)
      const arbiter = ctx.hosts.some((h) => h.role === 'arbiter')
      const replica = arbiter ? ['replica', '3', 'arbiter', '1'] : ['replica', '2']
      if (!volume) {
        const force = ctx.hosts.some((h) => h.settings.brickForce) ? ['force'] : []
        return changes(change(`create ${s.volume}: ${replica.join(' ')} ${bricks.join(' ')}`, gluster`volume create ${s.volume} ${[...replica, ...bricks, ...force]}`))
      }
      const existing = volume.bricks.map(brickName)
      const same = existing.length === bricks.length && existing.every((b, i) => b === bricks[i])
      const replicaCount = arbiter ? 3 : 2
      if (!same || volume.replicaCount !== replicaCount) {
        if (lacksOnlyArbiter(volume, ctx)) return noop(`${s.volume} exists: ${describe(volume)}; its arbiter brick is added by "gluster arbiter brick"`)
        return refuse(
          `volume ${s.volume} already exists as ${describe(volume)}, but the inventory wants replica ${replicaCount} ` +
            `with bricks ${bricks.join(', ')}. It was left as it is: nothing is ever destroyed automatically. ` +
            `Fix the inventory to match, or move the data off and remove the volume yourself ` +
            `(gluster volume stop ${s.volume}; gluster volume delete ${s.volume}).` +
            arbiterRemovalHint(volume, ctx),
        )
      }
      return noop(`${s.volume} exists: ${describe(volume)}`)
    },
  })
}

/** The volume is started. */
export function volumeStarted(): Task {
  return task({
    name: 'gluster volume started',
    tags: ['gluster'],
    runOnce: true,
    facts: (ctx) => ({ volume: volumeInfo(ctx.host.settings.volume) }),
    plan: ({ volume }, ctx) => {
      const name = ctx.host.settings.volume
      if (!volume) return refuse(`volume ${name} does not exist`)
      if (volume.started) return noop(`${name} started`)
      return changes(change(`start ${name}`, gluster`volume start ${name}`))
    },
  })
}

/** The volume's options equal the wanted ones, read back with `gluster volume get`. */
export function volumeOptionsSet(): Task {
  return task({
    name: 'gluster volume options',
    tags: ['gluster'],
    runOnce: true,
    facts: (ctx) => ({ current: volumeOptions(ctx.host.settings.volume) }),
    plan: ({ current }, ctx) => {
      const wanted = wantedOptions(ctx.hosts, ctx.host.settings)
      const differing = Object.entries(wanted).filter(([k, v]) => !sameOption(current[k], v))
      const stale = unwantedOptions(ctx.hosts, ctx.host.settings).filter((k) => current[k] !== undefined && current[k] !== unsetValue)
      if (differing.length === 0 && stale.length === 0) return noop(`${Object.keys(wanted).length} options as wanted`)
      return changes(
        ...differing.map(([k, v]) =>
          change(`set ${k} = ${v} (was ${current[k] ?? 'unset'})`, gluster`volume set ${ctx.host.settings.volume} ${k} ${v}`),
        ),
        ...stale.map((k) => change(`reset ${k} (was ${current[k]})`, gluster`volume reset ${ctx.host.settings.volume} ${k}`)),
      )
    },
  })
}
