// The gv0 client mounts only the agent publishes through (the drain mounts). The kernel serialises
// lookups, creates, links and unlinks per directory inode of one FUSE mount, each a WAN round trip or
// more; another mount of the same volume has its own inodes, so publishes into one directory overlap
// across mounts (docs/drain.md). A mount that is missing, foreign or not answering is left out and
// reported; with none usable the agent publishes through gv0_mount as before.
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import type { AgentConfig } from '../service/config.ts'
import { readMounts, type MountInfo } from './mounts.ts'
import { PROBE_TIMEOUT_MS, probe } from './answer-probe.ts'

/** Where drain mount `i` (from 1) lives. */
export function drainMountPath(dir: string, i: number): string {
  return join(dir, String(i))
}

export function drainMountPaths(cfg: Pick<AgentConfig, 'drainMountDir' | 'drainMounts'>): string[] {
  return Array.from({ length: cfg.drainMounts }, (_, i) => drainMountPath(cfg.drainMountDir, i + 1))
}

export interface DrainMounts {
  wanted: number
  usable: string[]
  /** path: why it is left out */
  problems: { path: string; problem: string }[]
}

/** Which drain mounts hold the same volume as gv0_mount, from a mount table (no I/O). */
export function classifyDrainMounts(cfg: Pick<AgentConfig, 'drainMountDir' | 'drainMounts' | 'lower'>, table: MountInfo[]): DrainMounts {
  const at = new Map(table.map((m) => [m.target, m]))
  const gv0 = at.get(cfg.lower)
  const out: DrainMounts = { wanted: cfg.drainMounts, usable: [], problems: [] }
  for (const path of drainMountPaths(cfg)) {
    const m = at.get(path)
    if (!m) out.problems.push({ path, problem: 'not mounted' })
    else if (!gv0) out.problems.push({ path, problem: `${cfg.lower} is not a mount point` })
    else if (!sameVolume(m, gv0)) out.problems.push({ path, problem: `${m.source} (${m.fstype}) mounted there, not ${gv0.source} (${gv0.fstype})` })
    else if (m.fstype === 'fuse.glusterfs' && m.options.split(',').includes('default_permissions')) out.problems.push({ path, problem: 'mounted without acl' })
    else out.usable.push(path)
  }
  return out
}

/**
 * The same file system as gv0_mount: for gluster the same volume ("hydra:/gv0" and "plexus:gv0" are one,
 * the part after the host), else the same source and subtree (a bind mount, as the agent's tests use).
 */
function sameVolume(m: MountInfo, gv0: MountInfo): boolean {
  if (m.fstype !== gv0.fstype) return false
  if (m.fstype === 'fuse.glusterfs') return volumeOf(m.source) === volumeOf(gv0.source)
  return m.source === gv0.source && m.root === gv0.root
}

function volumeOf(source: string): string {
  return source.replace(/^[^:]*:\/*/, '')
}

/**
 * The drain mounts usable now: listed as gv0 and answering (a client whose process died answers ENOTCONN;
 * one that hangs answers nothing, and is left out once its probe is past the deadline).
 */
export async function drainMountsNow(cfg: AgentConfig, timeoutMs = PROBE_TIMEOUT_MS): Promise<DrainMounts> {
  const found = classifyDrainMounts(cfg, readMounts())
  const answers = await Promise.all(found.usable.map((p) => probe(p, 'statfs', timeoutMs).then((a) => (a.ok ? null : a.code))))
  const usable: string[] = []
  found.usable.forEach((p, i) => {
    const code = answers[i]
    if (code === null) usable.push(p)
    else found.problems.push({ path: p, problem: `not answering (${code})` })
  })
  return { ...found, usable }
}

/**
 * A fixed lane per name, for an operation outside a dealt batch (core/lanes.ts) on a name no mount worked
 * on lately: the same name always lands on the same mount while the set of usable mounts stays.
 */
export function laneOf(rel: string, lanes: number): number {
  if (lanes <= 1) return 0
  return createHash('sha1').update(Buffer.from(rel, 'latin1')).digest().readUInt32BE(0) % lanes
}
