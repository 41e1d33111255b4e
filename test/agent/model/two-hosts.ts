// The two-host model: hydra and plexus each with a union, a cache and an agent over one gv0, users on
// both changing the same few names while both agents publish. Only what "nothing lost" means is
// checked, for every version either side wrote: a version stays required until a side replaces it
// while its union shows it, and then gv0 must hold it at its name or at a conflict name of it.
import { FILES, DIRS, NAMESPACE, PASS_POINTS, drawKind, prng, type AgentOp } from './generate.ts'
import type { CrashPoint } from '../../../src/agent/core/crash-points.ts'
import { stateKey, type FsOp, type State } from './fsops.ts'
import { logicalPath } from './model.ts'
import { isHiddenRootName } from '../../../src/agent/fs/hidden-names.ts'

export type Host = 'hydra' | 'plexus'
export const HOSTS: Host[] = ['hydra', 'plexus']

/** A user's operation through one host's union, or something that happens to one host's agent. */
export type TwoHostOp =
  | { host: Host; op: FsOp }
  /** both agents run undisturbed for a while */
  | { k: 'sleep'; ms: number; n: number }
  /** SIGKILL one host's daemon, start it again after `ms` */
  | { k: 'kill'; host: Host; ms: number; n: number }
  /** evict through one host's daemon (unmount, merge, clear what was published, mount again) */
  | { k: 'evict'; host: Host; n: number }
  /** the kernel drops its dentries: both unions look gv0 up afresh */
  | { k: 'drop'; n: number }
  /** one host's daemon started again to kill itself, or stop until the next user's operation, at a crash point */
  | { k: 'hook'; host: Host; mode: 'kill' | 'stop'; at: CrashPoint; hit: number; n: number }
  /** power cut on one host: daemon killed, union gone, prepare, union and daemon back */
  | { k: 'reboot'; host: Host; n: number }

export type TwoHostKind =
  | 'create' | 'append' | 'truncate' | 'samesize' | 'future' | 'delete' | 'rename' | 'link' | 'chmod'
  | 'setfattr' | 'symlink' | 'mkdir' | 'rmdir' | 'rmtree' | 'opaque'
  | 'sleep' | 'kill' | 'evict' | 'drop' | 'hook' | 'reboot'

export const TWO_HOST_MIX: Record<TwoHostKind, number> = {
  create: 12, append: 10, truncate: 2, samesize: 2, future: 1, delete: 5, rename: 4, link: 2, chmod: 2,
  setfattr: 2, symlink: 2, mkdir: 3, rmdir: 1, rmtree: 1, opaque: 1,
  sleep: 12, kill: 2, evict: 1, drop: 2, hook: 2, reboot: 1,
}

/** Operations from a seed; user ops alternate hosts at random, all on the same few names. */
export function generateTwoHost(seed: number, length: number, mix: Record<TwoHostKind, number> = TWO_HOST_MIX): TwoHostOp[] {
  const rnd = prng(seed)
  const int = (n: number) => Math.floor(rnd() * n)
  const pick = <T>(xs: T[]): T => xs[int(xs.length)]
  const kinds = Object.entries(mix).filter(([, w]) => w > 0) as [TwoHostKind, number][]
  const ops: TwoHostOp[] = []
  for (let n = 0; n < length; n++) {
    const kind = drawKind(rnd, kinds)
    const host = pick(HOSTS)
    switch (kind) {
      case 'sleep':
        ops.push({ k: 'sleep', ms: 50 + int(600), n })
        break
      case 'kill':
        ops.push({ k: 'kill', host, ms: int(200), n })
        break
      case 'evict':
        ops.push({ k: 'evict', host, n })
        break
      case 'drop':
        ops.push({ k: 'drop', n })
        break
      case 'hook':
        ops.push({ k: 'hook', host, mode: rnd() < 0.5 ? 'kill' : 'stop', at: pick(PASS_POINTS), hit: 1 + int(3), n })
        break
      case 'reboot':
        ops.push({ k: 'reboot', host, n })
        break
      case 'opaque':
        ops.push({ host, op: { k: 'opaque', p: pick(DIRS), n } })
        break
      case 'rename':
      case 'link':
        ops.push({ host, op: { k: kind, p: pick(FILES), q: pick(FILES), n } })
        break
      case 'rmdir':
        ops.push({ host, op: { k: 'rmdir', p: pick(DIRS), n } })
        break
      case 'symlink':
        ops.push({ host, op: { k: 'symlink', p: pick(FILES), n, target: `t${n}` } })
        break
      case 'chmod':
      case 'setfattr':
        ops.push({ host, op: { k: kind, p: pick(FILES), n, v: int(4) } })
        break
      case 'mkdir':
        ops.push({ host, op: { k: 'mkdir', p: rnd() < 0.6 ? pick(DIRS) : pick(FILES), n } })
        break
      case 'rmtree':
        ops.push({ host, op: { k: 'rmtree', p: rnd() < 0.7 ? pick(DIRS) : pick(FILES), n } })
        break
      default:
        ops.push({ host, op: { k: kind, p: pick(FILES), n } })
    }
  }
  return ops
}

export function describeTwoHost(o: TwoHostOp): string {
  if ('op' in o) {
    const op = o.op
    const extra = op.k === 'rename' || op.k === 'link' ? ` -> ${op.q}` : op.k === 'symlink' ? ` -> ${op.target}` : 'v' in op && op.v !== undefined ? ` (${op.v})` : ''
    return `${op.n} ${o.host}: ${op.k} ${op.p}${extra}`
  }
  switch (o.k) {
    case 'sleep':
      return `${o.n} sleep ${o.ms}ms`
    case 'kill':
      return `${o.n} kill ${o.host}'s daemon, ${o.ms}ms down`
    case 'evict':
      return `${o.n} evict on ${o.host}`
    case 'drop':
      return `${o.n} dentries dropped`
    case 'hook':
      return `${o.n} ${o.mode} ${o.host}'s daemon at ${o.at}#${o.hit}`
    case 'reboot':
      return `${o.n} power cut on ${o.host}`
  }
}

const show = (s: State | undefined) => (s ? stateKey(s).replace(/\n/g, '\\n') : 'absent')
const kept = (s: State | undefined): s is State => s !== undefined && (s.t === 'f' || s.t === 'l')

/**
 * Which versions each name must keep. Written versions are required; a side that replaces or removes
 * a version its union showed releases it (the user saw it and chose); a version the side did not see
 * (the other host's, not yet shown) stays required, so two changes that did not see each other both are.
 */
export class TwoHostModel {
  private readonly required = new Map<string, Map<string, string>>()
  private readonly known = new Map<string, Set<string>>()

  constructor(baseline: Record<string, State>) {
    for (const p of NAMESPACE) this.wrote(p, baseline[p])
  }

  private wrote(p: string, s: State | undefined): void {
    if (!kept(s)) return
    const k = stateKey(s)
    if (!this.required.has(p)) this.required.set(p, new Map())
    this.required.get(p)?.set(k, show(s))
    if (!this.known.has(p)) this.known.set(p, new Set())
    this.known.get(p)?.add(k)
  }

  /** One user's operation as its union showed the affected names just before and right after. */
  apply(before: Record<string, State>, after: Record<string, State>): string[] {
    const changed: string[] = []
    for (const p of Object.keys(after)) {
      const b = before[p] ?? { t: 'absent' }
      const a = after[p]
      if (stateKey(a) === stateKey(b)) continue
      changed.push(p)
      if (kept(b)) this.required.get(p)?.delete(stateKey(b))
      this.wrote(p, a)
    }
    return changed
  }

  /** A conflict copy of `p` holding `s` removed by a side that saw it: that version is no longer required. */
  removedCopy(p: string, s: State): void {
    if (kept(s)) this.required.get(p)?.delete(stateKey(s))
  }

  /** Names whose required versions gv0 lacks, and versions in gv0 no side ever wrote at that name. */
  check(gv0: Record<string, State>): string[] {
    const found = new Map<string, Map<string, string>>()
    const out: string[] = []
    for (const [rel, s] of Object.entries(gv0)) {
      if (!kept(s) || isHiddenRootName(rel)) continue
      const p = logicalPath(rel)
      if (!found.has(p)) found.set(p, new Map())
      found.get(p)?.set(stateKey(s), rel)
      if (!this.known.get(p)?.has(stateKey(s))) out.push(`gv0 ${rel} holds ${show(s)}, which no host ever wrote at ${p}`)
    }
    for (const [p, req] of this.required) {
      for (const [k, shown] of req) if (!found.get(p)?.has(k)) out.push(`lost: ${p} ${shown} (required; gv0 has ${[...(found.get(p)?.values() ?? [])].join(', ') || 'nothing'} for it)`)
    }
    return out
  }

  summary(): string[] {
    return [...this.required].filter(([, r]) => r.size).map(([p, r]) => `${p}: ${[...r.values()].join(' | ')}`)
  }
}

/** What the two-host runner needs of one host: LocalWorld does it all. */
export interface HostWorld {
  readonly cfg: { lower: string }
  observe(view: 'union' | 'gv0', rels: string[]): Promise<Record<string, State>>
  walk(view: 'gv0' | 'union'): Promise<Record<string, State>>
  step(view: 'union', op: FsOp): Promise<{ before: Record<string, State>; after: Record<string, State>; done: boolean }>
  pauseAgent(): Promise<void>
  resumeAgent(): Promise<void>
  tempsInGv0(): Promise<number>
  agent(op: AgentOp): Promise<void>
  drain(): Promise<string[]>
  problems(): string[]
}

export interface TwoHostResult {
  violations: string[]
  trace: string[]
  model: TwoHostModel
}

/**
 * Runs `ops` on both hosts, drains both, and holds gv0 to the model. Each user operation runs with both
 * daemons stopped (SIGSTOP), so what the union showed just before it is what it acted on: no drop or
 * publish falls between the look and the change. Everything else runs with both agents going.
 */
export async function runTwoHosts(worlds: Record<Host, HostWorld>, ops: TwoHostOp[]): Promise<TwoHostResult> {
  const model = new TwoHostModel(await worlds.hydra.observe('gv0', NAMESPACE))
  const trace: string[] = []
  const both = (fn: (w: HostWorld) => Promise<void>) => Promise.all(HOSTS.map((h) => fn(worlds[h])))
  for (const o of ops) {
    let what = 'done'
    if ('op' in o) {
      await both((w) => w.pauseAgent())
      try {
        // rm -r removes what the union lists below, conflict copies too: the user saw those versions
        const listed = o.op.k === 'rmtree' || o.op.k === 'opaque' ? await worlds[o.host].walk('union') : {}
        const { before, after, done } = await worlds[o.host].step('union', o.op)
        const changed = done ? model.apply(before, after) : []
        if (done) for (const [rel, s] of Object.entries(listed)) if (rel.startsWith(o.op.p + '/') && rel !== logicalPath(rel)) model.removedCopy(logicalPath(rel), s)
        what = !done ? 'skipped' : changed.length ? changed.map((p) => `${p} ${show(before[p])} -> ${show(after[p])}`).join(', ') : 'no change'
      } finally {
        await both((w) => w.resumeAgent())
      }
    } else if (o.k === 'sleep') await new Promise((r) => setTimeout(r, o.ms))
    else if (o.k === 'drop') await worlds.hydra.agent({ k: 'drop', n: o.n })
    else if (o.k === 'kill') await worlds[o.host].agent({ k: 'kill', ms: o.ms, n: o.n })
    else if (o.k === 'evict') await worlds[o.host].agent({ k: 'evict', kill: { how: 'none' }, n: o.n })
    else if (o.k === 'reboot') await worlds[o.host].agent({ k: 'reboot', kill: { how: 'none' }, n: o.n })
    else await worlds[o.host].agent({ k: 'hook', mode: o.mode, at: o.at, hit: o.hit, n: o.n })
    trace.push(`${describeTwoHost(o)}: ${what}`)
  }
  const violations: string[] = []
  // each drain publishes what its host holds; the second may meet the first's publishes, so hydra once more
  for (const h of [...HOSTS, 'hydra' as const]) violations.push(...(await worlds[h].drain()).map((v) => `${h}: ${v}`))
  for (const h of HOSTS) violations.push(...worlds[h].problems().map((v) => `${h}: ${v}`))
  for (const h of HOSTS) {
    const temps = await worlds[h].tempsInGv0()
    if (temps) violations.push(`${h} left ${temps} temporaries in gv0`)
  }
  violations.push(...model.check(await worlds.hydra.walk('gv0')))
  return { violations, trace, model }
}

export function reportTwoHosts(seed: number | string, r: TwoHostResult, ops: TwoHostOp[]): string {
  return [
    `${typeof seed === 'number' ? `seed ${seed}` : seed}: ${r.violations.length} violation(s)`,
    ...r.violations.map((v) => `  ! ${v}`),
    'operations:',
    ...r.trace.map((l) => `  ${l}`),
    'required at the end:',
    ...r.model.summary().map((l) => `  ${l}`),
    `replay: GFS_SEED=${seed}, or GFS_OPS='${JSON.stringify(ops)}'`,
  ].join('\n')
}
