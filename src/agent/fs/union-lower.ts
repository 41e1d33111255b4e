// The union's lower layer. `gv0` (the default): the union's own read-only gv0 client without quorum
// (cfg.unionLowerMount, docs/cut-link.md), or the gv0 mount itself while that client is not there.
// `brick`: a read-only bind of this host's brick while gluster says it is current, else of that same
// gv0 view, at cfg.lowerBind, chosen each time the union is mounted (docs/rationale.md, "The brick as
// the union's lower layer").
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { PROBE_TIMEOUT_MS, knownProblem, probe } from './answer-probe.ts'
import { join } from 'node:path'
import type { AgentConfig } from '../service/config.ts'
import { agentDefaults } from '../service/defaults.ts'
import { writeFileAtomic } from './atomic-write.ts'
import { brickHealth, type BrickVerdict } from './brick-health.ts'
import { hideInUpper, isHiddenRootName } from './hidden-names.ts'
import { notStarted, run } from './run.ts'

type LowerCfg = Pick<AgentConfig, 'unionLower' | 'lower' | 'lowerBind' | 'brick' | 'volume' | 'upper' | 'stateDir'> &
  Partial<Pick<AgentConfig, 'unionLowerMount' | 'union'>>

/** What the union's lower layer is and why, as `status` reports it. */
export interface LowerChoice {
  setting: 'gv0' | 'brick'
  /** what is mounted under the union now; null when the bind is not there */
  lower: 'gv0' | 'brick' | null
  path: string
  reason: string
}

type DirCfg = Pick<AgentConfig, 'lower'> & Partial<Pick<AgentConfig, 'unionLower' | 'lowerBind' | 'unionLowerMount'>>

/** The overlay's lowerdir for this config, as its mount unit names it. */
export function overlayLowerDir(cfg: DirCfg): string {
  return cfg.unionLower === 'brick' ? (cfg.lowerBind ?? agentDefaults.lowerBind) : cfg.unionLowerMount || cfg.lower
}

/** What the mount table says against the union's own gv0 client as its lower, or null. */
function clientMountProblem(cfg: DirCfg): string | null {
  const at = cfg.unionLowerMount
  if (!at) return 'no unionLowerMount configured'
  const m = mountAt(at)
  if (!m) return `${at} is not mounted`
  if (m.fstype !== 'fuse.glusterfs') return `${at} has ${m.source} (${m.fstype}) mounted, not gv0`
  return null
}

const clientProblem = (at: string, code: string) => `${at} does not answer (${code}): its gluster client died or hangs, run repair`

/** Why the union's own gv0 client cannot serve as its lower, or null when it can (a hung client: after the probe's deadline). */
export async function unionClientProblem(cfg: DirCfg): Promise<string | null> {
  const listed = clientMountProblem(cfg)
  if (listed) return listed
  const a = await probe(cfg.unionLowerMount!, 'statfs', PROBE_TIMEOUT_MS)
  return a.ok ? null : clientProblem(cfg.unionLowerMount!, a.code)
}

/** The same, from the mount table and the probes already answered: for descriptions that must not wait. */
function knownClientProblem(cfg: DirCfg): string | null {
  const listed = clientMountProblem(cfg)
  if (listed) return listed
  const code = knownProblem(cfg.unionLowerMount!, 'statfs', PROBE_TIMEOUT_MS)
  return code ? clientProblem(cfg.unionLowerMount!, code) : null
}

/**
 * The gv0 view under the union: its own client when that answers, else gv0_mount itself (a union on
 * gv0_mount works as before, it only stops taking new names while the host is cut off).
 */
export async function gv0View(cfg: DirCfg): Promise<string> {
  return (await unionClientProblem(cfg)) === null ? cfg.unionLowerMount! : cfg.lower
}

/** The lowerdir of the union mounted at `union` now, or null. */
export function mountedLowerDir(union: string): string | null {
  for (const line of readFileSync('/proc/self/mountinfo', 'latin1').split('\n').reverse()) {
    const [left, right = ''] = line.split(' - ')
    if (left.split(' ')[4] !== union || !right.startsWith('overlay ')) continue
    const opt = (right.split(' ')[2] ?? '').split(',').find((o) => o.startsWith('lowerdir='))
    return opt ? opt.slice('lowerdir='.length) : null
  }
  return null
}

const choiceFile = (cfg: Pick<AgentConfig, 'stateDir'>) => join(cfg.stateDir, 'union-lower.json')

/** The file system mounted at `path` (the topmost one), or null. */
export function mountAt(path: string): { fstype: string; source: string } | null {
  for (const line of readFileSync('/proc/self/mountinfo', 'latin1').split('\n').reverse()) {
    const [left, right = ''] = line.split(' - ')
    const f = left.split(' ')
    if (f[4] !== path) continue
    const r = right.split(' ')
    return { fstype: r[0], source: r[1] ?? '' }
  }
  return null
}

type Recorded = { lower?: 'gv0' | 'brick'; reason?: string; source?: string }

function recorded(cfg: Pick<AgentConfig, 'stateDir'>): Recorded {
  try {
    return JSON.parse(readFileSync(choiceFile(cfg), 'utf8')) as Recorded
  } catch {
    return {}
  }
}

/** Which lower the bind holds now: the one recorded when it was bound, while the bind is there. */
export function boundLower(cfg: Pick<AgentConfig, 'lowerBind' | 'stateDir'>): 'gv0' | 'brick' | null {
  if (!mountAt(cfg.lowerBind)) return null
  return recorded(cfg).lower ?? null
}

/** The lower in use and the reason recorded when it was chosen. */
export function lowerChoice(cfg: LowerCfg): LowerChoice {
  if (cfg.unionLower !== 'brick') return gv0Choice(cfg)
  const rec = recorded(cfg)
  const reason = rec.reason ?? 'not chosen yet (the union was not mounted by this agent version)'
  const lower = boundLower(cfg)
  return { setting: 'brick', lower, path: lower === 'brick' ? cfg.brick! : lower === 'gv0' ? (rec.source ?? cfg.lower) : cfg.lowerBind, reason }
}

function gv0Choice(cfg: LowerCfg): LowerChoice {
  const path = (cfg.union && mountedLowerDir(cfg.union)) ?? overlayLowerDir(cfg)
  const problem = knownClientProblem(cfg)
  let reason: string
  if (path === cfg.unionLowerMount) {
    reason = problem ? `union_lower is gv0, through its read-only client, which fails: ${problem}` : 'union_lower is gv0, through its read-only client without quorum (new names work while cut off)'
  } else {
    reason = problem ? `union_lower is gv0, on gv0_mount itself (new names fail while cut off): ${problem}` : 'union_lower is gv0, on gv0_mount itself until nothing holds the union, then on its read-only client'
  }
  return { setting: 'gv0', lower: 'gv0', path, reason }
}

/**
 * Whiteouts in upper's root for gluster's own names at the brick root, so the union never shows them.
 * The scan skips these names (scan.ts), so they are never published and never reclaimed.
 */
async function hideInternalNames(cfg: LowerCfg): Promise<string[]> {
  const made: string[] = []
  for (const name of readdirSync(cfg.brick!, { encoding: 'latin1' })) {
    if (!isHiddenRootName(name)) continue
    if (await hideInUpper(cfg.upper, name, `gluster's ${name}, which union_lower brick needs hidden`)) made.push(name)
  }
  return made
}

async function must(cmd: string, args: string[]): Promise<void> {
  const r = await run(cmd, args).catch(notStarted)
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr.trim() || `exit ${r.code}`}`)
}

/**
 * Brick mode, with the union unmounted: checks the brick, binds it (or gv0) read-only at lowerBind and
 * records why. A brick that cannot be used never stops the union: gv0 is bound instead.
 */
export async function bindUnionLower(cfg: LowerCfg, verdict?: BrickVerdict): Promise<LowerChoice> {
  if (cfg.unionLower !== 'brick') return lowerChoice(cfg)
  let v = verdict ?? (await brickHealth.check(cfg.volume!, cfg.brick!))
  const gv0 = await gv0View(cfg)
  let source = gv0
  if (v.current) {
    try {
      if (!lstatSync(cfg.brick!).isDirectory()) throw new Error(`${cfg.brick} is not a directory`)
      await hideInternalNames(cfg)
      source = cfg.brick!
    } catch (err) {
      v = { current: false, reason: (err as Error).message }
    }
  }
  const lower = source === gv0 ? 'gv0' : 'brick'
  const reason = lower === 'brick' ? `brick ${v.reason}` : `brick not used: ${v.reason}`
  if (!existsSync(cfg.lowerBind)) mkdirSync(cfg.lowerBind, { recursive: true, mode: 0o755 })
  // a bind left from an earlier mount of the union goes first (nothing holds it: the union is down)
  for (let i = 0; i < 8 && mountAt(cfg.lowerBind); i++) await must('umount', [cfg.lowerBind])
  await must('mount', ['--bind', source, cfg.lowerBind])
  await must('mount', ['-o', 'remount,bind,ro', cfg.lowerBind])
  writeFileAtomic(choiceFile(cfg), JSON.stringify({ lower, reason, source, time: new Date().toISOString() }) + '\n')
  return { setting: 'brick', lower, path: source, reason }
}
