// Bricks that are down or were replaced: brought back with gluster's own procedures, never by wiping data.
import { type Command } from '../engine/command.ts'
import { raw, shell } from '../engine/quote.ts'
import { change, changes, noop, refuse, task, type Task } from '../engine/task.ts'
import { brickIdentity, brickRootGfid } from '../facts/bricks.ts'
import { brickName, volumeInfo, volumeStatus } from '../facts/gluster.ts'
import { gluster, glusterScript } from '../facts/gluster-cli.ts'
import { wantedBricks } from './gluster.ts'
import { glusterdRestart } from './glusterd-unit.ts'

/** Brick processes that are down are started again (`volume start force` starts only missing ones). */
export function bricksOnline(): Task {
  return task({
    name: 'brick processes online',
    tags: ['gluster', 'repair'],
    runOnce: true,
    facts: (ctx) => ({ bricks: volumeStatus(ctx.host.settings.volume) }),
    wait: { attempts: 20, delayMs: 1500 },
    plan: ({ bricks }, ctx) => {
      const volume = ctx.host.settings.volume
      const wanted = wantedBricks(ctx.hosts)
      const online = new Set(bricks.filter((b) => b.online).map(brickName))
      const down = wanted.filter((b) => !online.has(b))
      if (down.length === 0) return noop(`${wanted.length} bricks online`)
      return changes(change(`start brick process(es) ${down.join(', ')}`, gluster`volume start ${volume} force`))
    },
  })
}

/**
 * reset-brick's commit. A glusterd that received the volume by a handshake (a reinstalled host) takes its own
 * brick for a new one until it reads the volume back from its store, and refuses with "When destination brick
 * is new, please use replace-brick": restarted once, it accepts (docs/replaced-server.md). A peer that just
 * came back ("not connected") or another host's command holding the volume's lock is waited for.
 */
function resetCommit(volume: string, brick: string): Command {
  return glusterScript(
    shell`restarted=; for i in $(seq 30); do out=$(gfs_gluster volume reset-brick ${volume} ${brick} ${brick} commit force 2>&1) && exit 0; case "$out" in *'destination brick is new'*) [ -z "$restarted" ] || break; restarted=1; ${raw(glusterdRestart.script)} || exit 1;; *'not connected'*) ;; *) break;; esac; sleep 2; done; printf '%s\n' "$out" >&2; exit 1`,
  )
}

/**
 * A brick directory that lost its identity (wiped or replaced disk) is reset and healed from its replica.
 * reset-brick needs a started volume, and a plain start refuses a brick without its volume-id, so a
 * stopped volume is started with force first (the other brick serves; this one is reset right after).
 * A brick that such a start stamped but that never ran (no root gfid, offline, empty) is reset too:
 * otherwise it would come up empty with nothing telling the self-heal to fill it.
 */
export function brickIdentityRestored(): Task {
  return task({
    name: 'brick identity',
    tags: ['gluster', 'repair'],
    facts: (ctx) => ({
      volume: volumeInfo(ctx.host.settings.volume),
      brick: brickIdentity(ctx.host.settings.brick),
      initialized: brickRootGfid(ctx.host.settings.brick),
      status: volumeStatus(ctx.host.settings.volume),
    }),
    plan: ({ volume, brick, initialized, status }, ctx) => {
      const s = ctx.host.settings
      const name = brickName({ host: ctx.host.name, path: s.brick })
      if (!volume) return noop(`volume ${s.volume} does not exist yet`)
      if (!volume.bricks.map(brickName).includes(name)) return noop(`${name} is not a brick of ${s.volume}`)
      const online = status.some((b) => brickName(b) === name && b.online)
      const neverRan = volume.started && !online && !brick.hasData && !initialized
      if (brick.volumeId === volume.id && !neverRan) return noop(`${name} belongs to ${s.volume}`)
      const commands = [
        gluster`volume reset-brick ${s.volume} ${name} start`,
        resetCommit(s.volume, name),
        // The self-heal daemon needs a moment to connect to the new brick; until then a full heal is refused.
        glusterScript(shell`n=0; until gfs_gluster volume heal ${s.volume} full; do n=$((n+1)); [ $n -lt 30 ] || exit 1; sleep 2; done`),
      ]
      if (brick.volumeId && brick.volumeId !== volume.id)
        return refuse(`${name} carries the id of another volume (${brick.volumeId}, ${s.volume} is ${volume.id}); check which disk is mounted there`)
      if (brick.hasData)
        return refuse(
          `${name} has lost its volume-id but still holds files: resetting it could discard them. ` +
            `Copy anything you need off it, empty it, then run: ${commands.map((c) => c.display).join('; ')}`,
        )
      const start = volume.started ? [] : [gluster`volume start ${s.volume} force`]
      const why = brick.volumeId ? 'stamped by a forced start but never brought up' : 'empty, volume-id missing'
      return changes(change(`reset-brick ${name} (${why}) and heal it from its replica`, ...start, ...commands))
    },
  })
}
