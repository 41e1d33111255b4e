// Runs an operation sequence against a world (local overlays or the lab) and asks the model what the
// final gv0 must look like.
import { stateKey, type FsOp, type State, type Step } from './fsops.ts'
import { describe, LOCAL_KINDS, NAMESPACE, REMOTE_KINDS, type AgentOp, type Op } from './generate.ts'
import { logicalPath, Model, unpublishable, type Side } from './model.ts'
import { FS_TICK_MS } from '../../../src/agent/publish/no-clobber.ts'

export type View = 'union' | 'gv0' | 'upper'

/** What the runner needs from a place where hydra's union, its agent and gv0 live. */
export interface World {
  observe(view: View, rels: string[]): Promise<Record<string, State>>
  walk(view: View): Promise<Record<string, State>>
  /** performs `op` in `view`, observing the names it can change just before and right after */
  step(view: View, op: FsOp): Promise<Step>
  /** stops the agent where it is (SIGSTOP) while the other host acts, so each remote op sees one gv0 */
  pauseAgent(): Promise<void>
  resumeAgent(): Promise<void>
  /** this host's temporaries in gv0 right now (a publish between its check and its rename) */
  tempsInGv0(): Promise<number>
  /** the agent stopped itself at a crash point (a `hook` op), which the next remote op races */
  heldAtHook(): boolean
  agent(op: AgentOp): Promise<void>
  /** flush --wait, evict, flush --wait; the problems it met (exit codes, daemon deaths) */
  drain(): Promise<string[]>
  /** the agent's own problems seen during the run (e.g. a daemon that died by itself) */
  problems(): string[]
  /** a fingerprint of the directory outside the volume the hostile symlinks point to */
  outsideFingerprint(): Promise<string>
  readonly outside: string
  log(line: string): void
  /** when the union was mounted and which daemon runs (a world that cannot tell leaves this out) */
  timing?(): Timing
}

export interface Timing {
  /** wall-clock ms the current union mount was made */
  mountedAt: number
  /** the running daemon: its number, start, and a time by which its first pass had surely ended */
  daemon: { gen: number; spawnAt: number; syncedAt: number | null } | null
}

/** Margin for file times from the kernel's coarse clock (the agent dates mounts a tick early too). */
const TICK_MARGIN_MS = 50

/**
 * Whether a local delete at this moment removes a version the agent must know the union showed: the
 * other host wrote it before the union was mounted, the daemon started after that mount and has
 * passed over upper since (so the delete's date is later than the mount, which the agent noted).
 * Such a delete must be applied, not kept (flush contract 4); `written` is when the version reached gv0.
 */
function surelyShown(tm: Timing | undefined, written: number | undefined): number | null {
  const d = tm?.daemon
  if (!tm || !d || d.syncedAt === null || written === undefined) return null
  if (!(written + TICK_MARGIN_MS < tm.mountedAt && tm.mountedAt + FS_TICK_MS < d.spawnAt)) return null
  return d.gen
}

export interface RunResult {
  violations: string[]
  trace: string[]
  model: Model
}

const show = (s: State | undefined) => (s ? stateKey(s).replace(/\n/g, '\\n') : 'absent')

const under = (p: string) => NAMESPACE.filter((q) => q.startsWith(p + '/'))

/**
 * Names where a local op put a new inode: a rename's or link's target, a symlink, a file created where
 * the union showed nothing or a whiteout, the file in a replaced directory; and names where it changed
 * a copy-up of gv0's entry, which may have come from a stale lookup of a version gv0 no longer holds.
 */
function freshNames(model: Model, op: FsOp, before: Record<string, State>, after: Record<string, State>): string[] {
  const isNew = (p: string) => (after[p]?.t === 'f' || after[p]?.t === 'l') && (op.k === 'rename' || op.k === 'symlink' || op.k === 'link' || before[p]?.t !== 'f')
  const names = op.k === 'rename' || op.k === 'link' ? [op.q] : op.k === 'opaque' ? [`${op.p}/y`] : [op.p]
  const copiedUp = (p: string) => (before[p]?.t === 'f' || before[p]?.t === 'l') && (after[p]?.t === 'f' || after[p]?.t === 'l') && stateKey(before[p]) !== stateKey(after[p]) && !model.wroteLocally(p, before[p])
  return [...names.filter(isNew), ...Object.keys(after).filter(copiedUp)]
}

/**
 * Names a successful local delete, rmdir, rm -r or rename removed that the union still shows right after:
 * overlayfs made no whiteout (it had looked their directory up as upper-only) and found gv0's copy.
 */
function shownAfterDelete(op: FsOp, after: Record<string, State>): string[] {
  if (!['delete', 'rmdir', 'rmtree', 'rename'].includes(op.k)) return []
  return Object.keys(after).filter((p) => (p === op.p || p.startsWith(op.p + '/')) && after[p].t !== 'absent')
}

async function sideOp(world: World, model: Model, side: Side, op: FsOp): Promise<string> {
  const tm = side === 'local' && op.k === 'delete' ? world.timing?.() : undefined
  const untouched = side === 'local' && op.k === 'delete' && model.untouchedHere(op.p)
  // the other host's rm -r removes what it lists, conflict copies included
  const listed = side === 'remote' && (op.k === 'rdelete' || op.k === 'hostile') ? await world.walk('gv0') : {}
  const { before, after, done } = await world.step(side === 'local' ? 'union' : 'gv0', op)
  if (done) for (const [rel, s] of Object.entries(listed)) if (rel.startsWith(op.p + '/')) model.removedRemotely(logicalPath(rel), s)
  // an operation that did not happen changed nothing, whatever a second look at a stale view says
  if (done && side === 'local' && op.k === 'rename') model.rename(op.p, op.q)
  // what replaces a directory sees its listing, like rm -r
  if (op.k === 'opaque' && done) model.removedTree(under(op.p))
  const changed = done ? model.apply(side, before, after) : []
  const stale = done && side === 'local' ? shownAfterDelete(op, after) : []
  for (const p of stale) model.deletedBehindStaleView(p, after[p])
  if (done && side === 'remote') for (const p of changed) model.noteWritten(p, after[p], Date.now())
  if (done && side === 'local' && (op.k === 'rmdir' || op.k === 'rmtree' || op.k === 'opaque')) model.noteDirReplaced(op.p)
  if (done && side === 'local') for (const p of freshNames(model, op, before, after)) model.mayKeepBoth(p)
  if (op.k === 'rmtree' && done) model.removedTree(under(op.p))
  if (done && side === 'local' && op.k === 'link') model.link(op.p, op.q)
  // the other host replaces a file by renaming a staged copy over it: a new inode
  if (done && side === 'remote' && op.k !== 'rconflict' && !('inPlace' in op && op.inPlace)) model.unlink(op.p)
  // an op that changed nothing the model compares still copied the entry up (a link's source, a chmod
  // to the same mode), perhaps from a stale view of gv0: the agent may rightly publish it again
  if (done) for (const p of 'q' in op ? [op.p, op.q] : [op.p]) model.touch(side, p)
  if (op.k === 'hostile' && done) model.markHostile(op.p)
  if (done && untouched && after[op.p]?.t === 'absent') {
    const b = before[op.p]
    const gen = b ? surelyShown(tm, model.writtenAt(op.p, b)) : null
    if (gen !== null) {
      model.mustApplyDelete(op.p, b, gen)
      return `changed ${op.p} ${show(b)} -> absent (a delete the union surely showed: it must be applied)`
    }
  }
  const what = changed.map((p) => `${p} ${show(before[p])} -> ${show(after[p])}`).join(', ')
  const shown = stale.map((p) => `${p} deleted, and the union shows gv0's ${show(after[p])} again`).join(', ')
  if (done && shown) return changed.length ? `changed ${what}; ${shown}` : shown
  return done ? (changed.length ? `changed ${what}` : 'no change') : 'skipped'
}

/** Runs `ops`, drains, and returns the contract violations found (empty: the run conforms). */
export async function runSequence(world: World, ops: Op[]): Promise<RunResult> {
  const model = new Model(await world.observe('gv0', NAMESPACE))
  const outsideBefore = await world.outsideFingerprint()
  const trace: string[] = []
  for (const op of ops) {
    let what: string
    if (LOCAL_KINDS.includes(op.k)) what = await sideOp(world, model, 'local', op as FsOp)
    else if (REMOTE_KINDS.includes(op.k)) {
      await world.pauseAgent()
      try {
        // a publish caught between its last check and its rename is the one race no agent can close
        // (a crash point comes before the last check, so a hold there is a race the agent must win)
        for (let i = 0; i < 40 && !world.heldAtHook() && (await world.tempsInGv0()) > 0; i++) {
          await world.resumeAgent()
          await new Promise((r) => setTimeout(r, 5))
          await world.pauseAgent()
        }
        const fsop = op.k === 'hostile' ? { ...op, outside: world.outside } : op
        if (world.heldAtHook()) world.log(`${describe(op)}: while the agent is held at a crash point`)
        // an append in place to a hard link the other host planted to an outside file would change that file by
        // the other host's own hand (a gluster client cannot even make such a link): not the agent's doing
        if (op.k === 'rmodify' && op.inPlace && model.behindHostile(op.p)) what = 'skipped'
        else what = await sideOp(world, model, 'remote', fsop as FsOp)
      } finally {
        await world.resumeAgent()
      }
    } else {
      await world.agent(op as AgentOp)
      what = 'done'
    }
    trace.push(`${describe(op)}: ${what}`)
  }
  const finalGen = world.timing?.().daemon?.gen ?? null
  const violations = [...(await world.drain()), ...world.problems()]
  const [gv0, union, upper] = [await world.walk('gv0'), await world.walk('union'), await world.walk('upper')]
  const stuck = Object.keys(union).filter((rel) => unpublishable(rel, union))
  if (violations.length && (model.hostile.size || stuck.length)) {
    // an entry below a symlink to outside may be refused and reported, a FIFO or a name like a
    // temporary is: flush then names it and fails
    for (let i = violations.length - 1; i >= 0; i--) if (/^flush --wait/.test(violations[i])) violations.splice(i, 1)
  }
  violations.push(...model.check(gv0, union, upper), ...model.missingDeletes(gv0, finalGen))
  if ((await world.outsideFingerprint()) !== outsideBefore) violations.push(`the directory outside the volume (${world.outside}) changed`)
  return { violations, trace, model }
}

/** A failure report: the seed, the violations, the sequence as run, and the model's view of each name. */
export function report(seed: number | string, r: RunResult, ops: Op[]): string {
  return [
    `${typeof seed === 'number' ? `seed ${seed}` : seed}: ${r.violations.length} violation(s)`,
    ...r.violations.map((v) => `  ! ${v}`),
    'operations:',
    ...r.trace.map((l) => `  ${l}`),
    'model:',
    ...r.model.summary().map((l) => `  ${l}`),
    `replay: GFS_SEED=${seed}, or GFS_OPS='${JSON.stringify(ops)}'`,
  ].join('\n')
}
