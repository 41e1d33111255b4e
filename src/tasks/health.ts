// Read-only health checks for the status playbook: each says what it found; unhealthy ones fail.
import { noop, refuse, task, type Task } from '../engine/task.ts'
import { agentReport } from '../facts/agent.ts'
import { brickName, healState, peers, volumeInfo, volumeStatus } from '../facts/gluster.ts'
import { mountAt } from '../facts/mounts.ts'
import { unitState } from '../facts/systemd.ts'
import { activeErrors } from '../agent/health/verdict.ts'

const tags = ['status']

/** glusterd active and enabled. */
export function glusterdHealth(): Task {
  return task({
    name: 'glusterd',
    tags,
    facts: () => ({ unit: unitState('glusterd.service') }),
    plan: ({ unit }) => {
      const text = `${unit.active}, ${unit.enabled || 'not installed'}`
      return unit.active === 'active' && unit.enabled === 'enabled' ? noop(text, unit) : refuse(`glusterd is ${text}`, unit)
    },
  })
}

/** Every other host is a connected peer. */
export function peersHealth(): Task {
  return task({
    name: 'peers',
    tags,
    facts: () => ({ pool: peers() }),
    plan: ({ pool }, ctx) => {
      const others = ctx.hosts.filter((h) => h.name !== ctx.host.name).map((h) => h.name)
      const line = pool.map((p) => `${p.hostname}: ${p.connected ? 'connected' : 'DISCONNECTED'}`).join(', ') || 'no peers'
      const missing = others.filter((n) => !pool.some((p) => (p.hostname === n || p.otherNames.includes(n)) && p.connected))
      return missing.length ? refuse(`not connected to ${missing.join(', ')} (${line})`, pool) : noop(line, pool)
    },
  })
}

/** The volume is started and all its bricks are online. */
export function volumeHealth(): Task {
  return task({
    name: 'volume',
    tags,
    runOnce: true,
    facts: (ctx) => ({ info: volumeInfo(ctx.host.settings.volume), bricks: volumeStatus(ctx.host.settings.volume) }),
    plan: ({ info, bricks }, ctx) => {
      const name = ctx.host.settings.volume
      if (!info) return refuse(`volume ${name} does not exist`)
      const online = bricks.filter((b) => b.online).length
      const up = new Set(bricks.filter((b) => b.online).map(brickName))
      const down = info.bricks.filter((b) => !up.has(brickName(b))).map((b) => `${brickName(b)}${b.arbiter ? ' (arbiter)' : ''}`)
      const layout = info.arbiterCount ? `replica ${info.replicaCount} arbiter ${info.arbiterCount}` : `replica ${info.replicaCount}`
      const line =
        `${name} ${info.started ? 'started' : 'STOPPED'}, ${info.typeStr} ${layout}, bricks online ${online}/${info.bricks.length}` +
        (info.started && down.length ? ` (down: ${down.join(', ')})` : '')
      const data = { started: info.started, bricksOnline: online, bricks: info.bricks.length }
      return info.started && online === info.bricks.length ? noop(line, data) : refuse(line, data)
    },
  })
}

/** No entries pending heal and none in split brain. */
export function healHealth(): Task {
  return task({
    name: 'heal',
    tags,
    runOnce: true,
    facts: (ctx) => ({ state: healState(ctx.host.settings.volume) }),
    plan: ({ state }) => {
      const heal = state.bricks
      const pending = heal.reduce((n, b) => n + b.pending, 0)
      const split = heal.reduce((n, b) => n + b.splitBrain, 0)
      const line = `${pending} pending heal, ${split} in split brain`
      return pending === 0 && split === 0 ? noop(line, { pending, splitBrain: split }) : refuse(line, { pending, splitBrain: split, heal })
    },
  })
}

/** Options that must not be on: the kernel lists these features only when they differ from its defaults. */
const unsafeUnionOptions = ['redirect_dir=on', 'redirect_dir=follow', 'index=on', 'metacopy=on', 'xino=on', 'xino=auto']

/** gv0 over FUSE and the union over overlayfs are mounted, the union with the safe options. */
export function mountsHealth(): Task {
  return task({
    name: 'mounts',
    tags,
    facts: (ctx) => ({ gv0: mountAt(ctx.host.settings.gv0Mount), union: mountAt(ctx.host.settings.unionMount) }),
    plan: ({ gv0, union }, ctx) => {
      const s = ctx.host.settings
      const problems: string[] = []
      if (gv0?.fstype !== 'fuse.glusterfs') problems.push(`${s.gv0Mount} not mounted`)
      if (union?.fstype !== 'overlay') problems.push(`${s.unionMount} not mounted`)
      else {
        const unsafe = unsafeUnionOptions.filter((o) => union.options.includes(o))
        if (unsafe.length) problems.push(`${s.unionMount} mounted with ${unsafe.join(',')} (offline merges need them off)`)
      }
      const data = { gv0: gv0 ?? null, union: union ?? null }
      return problems.length ? refuse(problems.join('; '), data) : noop(`${s.gv0Mount} (${gv0!.source}) and ${s.unionMount} mounted`, data)
    },
  })
}

function age(seconds: number | null): string {
  if (seconds === null) return 'none'
  if (seconds < 120) return `${Math.round(seconds)} s`
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`
  return `${(seconds / 3600).toFixed(1)} h`
}

/** The agent runs, its backlog, last publish, conflicts and errors, and the cache disk against its watermarks. */
export function agentHealth(): Task {
  return task({
    name: 'flush agent',
    tags,
    facts: () => ({ report: agentReport() }),
    plan: ({ report }) => {
      if (!report) return refuse('gfs-writecache is not installed')
      const line =
        `${report.running ? 'running' : 'NOT RUNNING'} ${report.version}; pending ${report.pending.entries} entries ` +
        `(${(report.pending.bytes / 1048576).toFixed(1)} MiB, oldest ${age(report.pending.oldestAgeSeconds)}); ` +
        `last publish ${report.lastPublish ?? 'never'}; conflicts ${report.conflicts}; errors ${activeErrors(report)}; ` +
        `cache ${report.cache.usedPercent.toFixed(0)}% (high ${report.cache.highWatermarkPercent}%)`
      const problems = [
        !report.running && 'agent not running',
        !report.union.mounted && 'union not mounted',
        report.cache.usedPercent >= report.cache.highWatermarkPercent && 'cache disk above its high watermark',
        report.errors.length > 0 && `last error: ${report.errors.at(-1)!.message}`,
        // the host's own thresholds (the inventory's health:) for what is not named above: gluster, backlog age
        ...(report.running && report.union.mounted && report.health?.state === 'critical'
          ? report.health.reasons.filter((r) => r.level === 'critical').map((r) => `status CRITICAL: ${r.message}`)
          : []),
      ].filter(Boolean)
      return problems.length ? refuse(`${problems.join('; ')} (${line})`, report) : noop(line, report)
    },
  })
}
