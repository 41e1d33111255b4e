// Self-heal: pending entries are healed (with progress, bounded); split brains are listed and resolved by policy only.
import { sh } from '../engine/command.ts'
import { change, changes, noop, refuse, task, type Task, type TaskContext } from '../engine/task.ts'
import { brickSpace } from '../facts/brick-space.ts'
import { healStateIfIndexed } from '../facts/gluster.ts'

const policyCommand = { 'latest-mtime': 'latest-mtime', 'bigger-file': 'bigger-file' } as const

const healFacts = (ctx: TaskContext) => ({ state: healStateIfIndexed(ctx.host.settings.volume, ctx.host.settings.brick) })
const healWaitFacts = (ctx: TaskContext) => ({ ...healFacts(ctx), space: brickSpace(ctx.host.settings.volume, ctx.host.settings.brick) })

/** `gluster volume heal`, tried again while another host's trigger holds the volume's cluster lock (either message). */
const triggerHeal = (volume: string) =>
  sh`for i in 1 2 3 4 5 6 7 8 9 10; do out=$(gluster --mode=script volume heal ${volume} 2>&1) && exit 0; case "$out" in *'Another transaction is in progress'*|*'Locking failed'*) sleep 1;; *) printf '%s\n' "$out" >&2; exit 1;; esac; done; printf '%s\n' "$out" >&2; exit 1`

/**
 * Trigger the self-heal and wait until no entries are pending on any brick. Each host looks at its own
 * brick's heal index (an entry may wait on one brick only), and asks gluster for details only when it has some.
 */
export function healed(options: { attempts?: number; delayMs?: number; stalledMs?: number } = {}): Task {
  return task({
    name: 'pending heals',
    tags: ['gluster', 'heal'],
    facts: healWaitFacts,
    wait: {
      attempts: options.attempts ?? 150,
      delayMs: options.delayMs ?? 2000,
      progress: ({ state }) => `healing: ${state.bricks.map((b) => `${b.brick} ${b.pending} pending`).join(', ')}`,
      // a large heal over a slow link takes as long as it takes; only a heal that stopped moving fails
      remaining: ({ state, space }) => [state.indexEmpty ? 0 : state.bricks.reduce((n, b) => n + b.pending, 0), ...Object.values(space)],
      stalledMs: options.stalledMs ?? 180_000,
    },
    plan: ({ state }, ctx) => {
      if (state.indexEmpty) return noop(`no entries in ${ctx.host.settings.brick}'s heal index`)
      const heal = state.bricks
      const volume = ctx.host.settings.volume
      const offline = heal.filter((b) => !b.connected)
      if (offline.length) return refuse(`cannot heal while bricks are unreachable: ${offline.map((b) => b.brick).join(', ')}`)
      const pending = heal.reduce((n, b) => n + b.pending, 0)
      if (pending === 0) return noop('no entries pending heal', { heal })
      return changes(change(`heal ${pending} pending entries`, triggerHeal(volume)))
    },
  })
}

/** Split-brain files are listed; they are resolved only when the inventory names a policy. One host suffices. */
export function splitBrainResolved(): Task {
  return task({
    name: 'split-brain files',
    tags: ['gluster', 'heal'],
    runOnce: true,
    facts: healFacts,
    plan: ({ state }, ctx) => {
      const files = state.splitBrainFiles
      const s = ctx.host.settings
      if (files.length === 0) return noop('no split-brain entries')
      if (s.splitBrainPolicy === 'none') {
        const example = files[0]!.startsWith('/') ? files[0]! : `/${files[0]}`
        return refuse(
          `${files.length} file(s) in split brain: ${files.join(', ')}. No split_brain_policy is set in the inventory, ` +
            `so nothing was chosen for you. Pick the good copy per file, e.g. ` +
            `gluster volume heal ${s.volume} split-brain source-brick HOST:${s.brick} ${example} ` +
            `(or latest-mtime / bigger-file ${example}), or set split_brain_policy.`,
          { files },
        )
      }
      const policy = policyCommand[s.splitBrainPolicy]
      return changes(
        ...files
          .map((f) => (f.startsWith('<gfid:') ? f.slice(1, -1) : f))
          .map((f) => change(`resolve ${f} by ${policy}`, sh`gluster --mode=script volume heal ${s.volume} split-brain ${policy} ${f}`)),
      )
    },
  })
}
