// The union's mount state and the overlay mount itself (always the same options, never lazy umount).
import { mkdirSync, readFileSync, statfsSync } from 'node:fs'
import { PROBE_TIMEOUT_MS, probe } from './answer-probe.ts'
import type { AgentConfig } from '../service/config.ts'
import type { BrickVerdict } from './brick-health.ts'
import { notStarted, run } from './run.ts'
import { bindUnionLower, gv0View, lowerChoice, overlayLowerDir } from './union-lower.ts'

/** Decodes the octal escapes (\040 etc.) mountinfo uses for spaces and friends. */
function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)))
}

export interface MountInfo {
  target: string
  /** the directory of the file system mounted there (a bind mount's subtree) */
  root: string
  fstype: string
  source: string
  options: string
}

/** Current mounts of this process's namespace, from /proc/self/mountinfo. */
export function readMounts(): MountInfo[] {
  const out: MountInfo[] = []
  for (const line of readFileSync('/proc/self/mountinfo', 'latin1').split('\n')) {
    if (!line) continue
    const [left, right = ''] = line.split(' - ')
    const f = left.split(' ')
    const r = right.split(' ')
    out.push({
      target: Buffer.from(unescapeMountinfo(f[4]), 'latin1').toString('utf8'),
      root: Buffer.from(unescapeMountinfo(f[3]), 'latin1').toString('utf8'),
      fstype: r[0],
      source: unescapeMountinfo(r[1] ?? ''),
      options: `${f[5]},${r[2] ?? ''}`,
    })
  }
  return out
}

/** True when something is mounted exactly at `path`. */
export function isMountPoint(path: string): boolean {
  return readMounts().some((m) => m.target === path)
}

/** True when the overlay (not just anything) is mounted at the union path. */
export function isUnionMounted(cfg: AgentConfig): boolean {
  return readMounts().some((m) => m.target === cfg.union && m.fstype === 'overlay')
}

/** The one set of overlay options the appliance uses (DESIGN.md: offline changes to lower need them off). */
export function overlayOptions(
  cfg: Pick<AgentConfig, 'lower' | 'upper' | 'work'> & Partial<Pick<AgentConfig, 'unionLower' | 'lowerBind' | 'unionLowerMount'>>,
  lower = overlayLowerDir(cfg),
): string {
  return `lowerdir=${lower},upperdir=${cfg.upper},workdir=${cfg.work},redirect_dir=off,index=off,metacopy=off,xino=off`
}

/** Why gv0 cannot take writes right now, or null when it can. */
export async function lowerProblem(cfg: AgentConfig): Promise<string | null> {
  if (cfg.requireLowerMount && !isMountPoint(cfg.lower)) return `gv0 is not mounted at ${cfg.lower}`
  const stale = staleBrick.get(cfg.union)
  if (stale && isUnionMounted(cfg) && lowerChoice(cfg).lower === 'brick') return stale
  const a = await probe(cfg.lower, 'stat', PROBE_TIMEOUT_MS)
  if (!a.ok) return `${cfg.lower} unreachable: ${a.code}`
  if (!a.stats?.isDirectory()) return `${cfg.lower} is not a directory`
  return null
}

/**
 * Brick mode: while the union shows a brick gluster no longer calls current, nothing is published (a
 * name or version the brick lacks would look seen); set by the daemon's check until the union moves.
 */
export const staleBrick = new Map<string, string>()

/**
 * Mounts the overlay at the union path with the appliance's options (brick mode: choosing its lower first).
 * A caller that unmounted the union passes the brick's verdict asked before: gluster may take its 30 s to
 * answer while a peer is away, and the union must not stay down meanwhile.
 */
export async function mountUnion(cfg: AgentConfig, verdict?: BrickVerdict): Promise<void> {
  if (isUnionMounted(cfg)) return
  mkdirSync(cfg.union, { recursive: true })
  if (cfg.unionLower === 'brick') {
    await bindUnionLower(cfg, verdict)
    staleBrick.delete(cfg.union)
  }
  // never over an empty mount point: without its own gv0 client the union sits on gv0_mount
  const lower = cfg.unionLower === 'brick' ? overlayLowerDir(cfg) : await gv0View(cfg)
  const r = await run('mount', ['-t', 'overlay', 'overlay', '-o', overlayOptions(cfg, lower), cfg.union]).catch(notStarted)
  if (r.code !== 0) throw new Error(`mount of ${cfg.union} failed: ${r.stderr.trim()}`)
}

/** Plain umount (never lazy: a lazy one would let writers keep using upper while it is changed). */
export async function umountUnion(cfg: AgentConfig): Promise<{ ok: boolean; message: string }> {
  if (!isUnionMounted(cfg)) return { ok: true, message: 'not mounted' }
  const r = await run('umount', [cfg.union]).catch(notStarted)
  const stderr = r.stderr.trim()
  return r.code === 0 ? { ok: true, message: 'unmounted' } : { ok: false, message: stderr || `umount exited ${r.code}` }
}

/** How full the file system holding `path` is, in percent (0 when it cannot be read). */
export function diskUsedPercent(path: string): number {
  try {
    const s = statfsSync(path)
    return s.blocks ? ((s.blocks - s.bfree) / s.blocks) * 100 : 0
  } catch {
    return 0
  }
}
