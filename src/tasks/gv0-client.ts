// A gv0 mount whose gluster client died (seen: SIGSEGV on the graph switch of a remove-brick) stays in the
// mount table and answers ENOTCONN forever: the agent and the union on it let go, and gv0 is mounted again.
// A client that lives but cannot reach its bricks (a cut link) answers ENOTCONN too; it is left alone. One that
// lives and answers nothing (hung in its crash handler after such a crash, or stopped) is killed first.
import { fromShell, sh } from '../engine/command.ts'
import { raw } from '../engine/quote.ts'
import { change, changes, fact, noop, task, type Task } from '../engine/task.ts'
import { ANSWER_SECONDS, clientPidsScript, killClientScript, probeMountsScript, unanswered } from '../facts/fuse-answer.ts'
import { mountAt } from '../facts/mounts.ts'
import { unitState } from '../facts/systemd.ts'
import { AGENT_UNIT } from '../agent/service/units.ts'
import { releaseGv0 } from './mounts.ts'

export type ClientState = 'alive' | 'gone' | 'hung'

/**
 * Whether a glusterfs client process serves the mount at `path` (its mount point is its last argument), and
 * if so whether it answers: a client hung in its crash handler, or stopped, lives and answers nothing.
 */
export const glusterClientState = (path: string) =>
  fact(
    `gluster client of ${path}`,
    sh`if [ -n "$(${raw(clientPidsScript(path).script)})" ]; then echo alive; printf '%s\\n' ${path} | { ${raw(probeMountsScript.script)}; }; fi; true`,
    (r): ClientState => (!r.stdout.includes('alive') ? 'gone' : unanswered(r.stderr).hung.has(path) ? 'hung' : 'alive'),
  )

/**
 * gv0 mounted with a live client; a dead one is unmounted, and the next tasks mount gv0 and the union again.
 * A hung one is killed first, which fails what waits on it (ENOTCONN), and then goes the same way.
 */
export function gv0ClientAlive(): Task {
  return task({
    name: 'gv0 client alive',
    tags: ['mounts', 'repair'],
    facts: (ctx) => ({
      gv0: mountAt(ctx.host.settings.gv0Mount),
      union: mountAt(ctx.host.settings.unionMount),
      agent: unitState(AGENT_UNIT),
      client: glusterClientState(ctx.host.settings.gv0Mount),
    }),
    plan: ({ gv0, union, agent, client }, ctx) => {
      const path = ctx.host.settings.gv0Mount
      if (gv0?.fstype !== 'fuse.glusterfs') return noop(`${path} is not mounted yet`)
      if (client === 'alive') return noop(`${path} is served by a live gluster client`)
      if (client === 'hung')
        return changes(
          change(`kill the gluster client of ${path}: it answers nothing (no answer in ${ANSWER_SECONDS} s)`, fromShell(killClientScript(path))),
          ...releaseGv0(ctx.host.settings, { agent, union, gv0 }, 'to mount it again: its gluster client hung'),
        )
      return changes(...releaseGv0(ctx.host.settings, { agent, union, gv0 }, 'to mount it again: its gluster client is gone (ENOTCONN)'))
    },
  })
}
