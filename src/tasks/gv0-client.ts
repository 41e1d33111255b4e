// A gv0 mount whose gluster client died (seen: SIGSEGV on the graph switch of a remove-brick) stays in the
// mount table and answers ENOTCONN forever: the agent and the union on it let go, and gv0 is mounted again.
// A client that lives but cannot reach its bricks (a cut link) answers ENOTCONN too; it is left alone.
import { sh } from '../engine/command.ts'
import { changes, fact, noop, task, type Task } from '../engine/task.ts'
import { mountAt } from '../facts/mounts.ts'
import { unitState } from '../facts/systemd.ts'
import { AGENT_UNIT } from '../agent/service/units.ts'
import { releaseGv0 } from './mounts.ts'

/** Whether a glusterfs client process serves the mount at `path` (its mount point is its last argument). */
export const glusterClientAlive = (path: string) =>
  fact(
    `gluster client of ${path}`,
    sh`for p in $(pgrep -x glusterfs); do [ "$(tr '\\0' '\\n' < /proc/$p/cmdline 2>/dev/null | tail -n 1)" = ${path} ] && echo alive; done; true`,
    (r) => r.stdout.includes('alive'),
  )

/** gv0 mounted with a live client; a dead one is unmounted, and the next tasks mount gv0 and the union again. */
export function gv0ClientAlive(): Task {
  return task({
    name: 'gv0 client alive',
    tags: ['mounts', 'repair'],
    facts: (ctx) => ({
      gv0: mountAt(ctx.host.settings.gv0Mount),
      union: mountAt(ctx.host.settings.unionMount),
      agent: unitState(AGENT_UNIT),
      alive: glusterClientAlive(ctx.host.settings.gv0Mount),
    }),
    plan: ({ gv0, union, agent, alive }, ctx) => {
      const path = ctx.host.settings.gv0Mount
      if (gv0?.fstype !== 'fuse.glusterfs') return noop(`${path} is not mounted yet`)
      if (alive) return noop(`${path} is served by a live gluster client`)
      return changes(...releaseGv0(ctx.host.settings, { agent, union, gv0 }, 'to mount it again: its gluster client is gone (ENOTCONN)'))
    },
  })
}
