// The union's lower layer. `gv0` (the default): the gv0 FUSE mount itself. `brick`: a read-only bind of
// this host's brick while gluster says it is current, else of the gv0 mount, at cfg.lowerBind, chosen
// each time the union is mounted (docs/rationale.md, "The brick as the union's lower layer").
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { AgentConfig } from '../service/config.ts'
import { agentDefaults } from '../service/defaults.ts'
import { writeFileAtomic } from './atomic-write.ts'
import { brickHealth, type BrickVerdict } from './brick-health.ts'
import { isGlusterInternalRootName } from './gluster-brick.ts'
import { notStarted, run } from './run.ts'

type LowerCfg = Pick<AgentConfig, 'unionLower' | 'lower' | 'lowerBind' | 'brick' | 'volume' | 'upper' | 'stateDir'>

/** What the union's lower layer is and why, as `status` reports it. */
export interface LowerChoice {
  setting: 'gv0' | 'brick'
  /** what is mounted under the union now; null when the bind is not there */
  lower: 'gv0' | 'brick' | null
  path: string
  reason: string
}

/** The overlay's lowerdir for this config. */
export function overlayLowerDir(cfg: Pick<AgentConfig, 'lower'> & Partial<Pick<AgentConfig, 'unionLower' | 'lowerBind'>>): string {
  return cfg.unionLower === 'brick' ? (cfg.lowerBind ?? agentDefaults.lowerBind) : cfg.lower
}

const choiceFile = (cfg: Pick<AgentConfig, 'stateDir'>) => join(cfg.stateDir, 'union-lower.json')

function mountAt(path: string): { fstype: string; source: string } | null {
  for (const line of readFileSync('/proc/self/mountinfo', 'latin1').split('\n').reverse()) {
    const [left, right = ''] = line.split(' - ')
    const f = left.split(' ')
    if (f[4] !== path) continue
    const r = right.split(' ')
    return { fstype: r[0], source: r[1] ?? '' }
  }
  return null
}

function recorded(cfg: Pick<AgentConfig, 'stateDir'>): { lower?: 'gv0' | 'brick'; reason?: string } {
  try {
    return JSON.parse(readFileSync(choiceFile(cfg), 'utf8')) as { lower?: 'gv0' | 'brick'; reason?: string }
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
  if (cfg.unionLower !== 'brick') return { setting: 'gv0', lower: 'gv0', path: cfg.lower, reason: 'union_lower is gv0' }
  const reason = recorded(cfg).reason ?? 'not chosen yet (the union was not mounted by this agent version)'
  const lower = boundLower(cfg)
  return { setting: 'brick', lower, path: lower === 'brick' ? cfg.brick! : lower === 'gv0' ? cfg.lower : cfg.lowerBind, reason }
}

/**
 * Whiteouts in upper's root for gluster's own names at the brick root, so the union never shows them.
 * The scan skips these names (scan.ts), so they are never published and never reclaimed.
 */
async function hideInternalNames(cfg: LowerCfg): Promise<string[]> {
  const made: string[] = []
  for (const name of readdirSync(cfg.brick!, { encoding: 'latin1' })) {
    if (!isGlusterInternalRootName(name)) continue
    const at = join(cfg.upper, name)
    let st
    try {
      st = lstatSync(at)
    } catch {
      st = null
    }
    if (st?.isCharacterDevice() && st.rdev === 0) continue
    if (st) throw new Error(`${at} is in the way of hiding gluster's ${name} (move it away; union_lower brick needs that name)`)
    const r = await run('mknod', ['-m', '000', at, 'c', '0', '0']).catch(notStarted)
    if (r.code !== 0) throw new Error(`mknod ${at}: ${r.stderr.trim()}`)
    made.push(name)
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
  let source = cfg.lower
  if (v.current) {
    try {
      if (!lstatSync(cfg.brick!).isDirectory()) throw new Error(`${cfg.brick} is not a directory`)
      await hideInternalNames(cfg)
      source = cfg.brick!
    } catch (err) {
      v = { current: false, reason: (err as Error).message }
    }
  }
  const lower = source === cfg.lower ? 'gv0' : 'brick'
  const reason = lower === 'brick' ? `brick ${v.reason}` : `brick not used: ${v.reason}`
  if (!existsSync(cfg.lowerBind)) mkdirSync(cfg.lowerBind, { recursive: true, mode: 0o755 })
  // a bind left from an earlier mount of the union goes first (nothing holds it: the union is down)
  for (let i = 0; i < 8 && mountAt(cfg.lowerBind); i++) await must('umount', [cfg.lowerBind])
  await must('mount', ['--bind', source, cfg.lowerBind])
  await must('mount', ['-o', 'remount,bind,ro', cfg.lowerBind])
  writeFileAtomic(choiceFile(cfg), JSON.stringify({ lower, reason, time: new Date().toISOString() }) + '\n')
  return { setting: 'brick', lower, path: source, reason }
}
