// Random operation sequences from a seed: a pure function of (seed, mix), so a seed replays the same
// sequence. Paths come from a small fixed namespace so that both sides keep hitting the same names.
import type { FsOp } from './fsops.ts'
import { CRASH_POINTS, type CrashPoint } from '../../../src/agent/core/crash-points.ts'

/**
 * How an agent process is ended: not at all, after a delay, at its Nth unlink in upper (inside reclaim), or
 * by itself at the `hit`th pass of a named crash point (src/agent/core/crash-points.ts).
 */
export type Kill = { how: 'none' } | { how: 'delay'; ms: number } | { how: 'reclaim'; skip: number } | { how: 'at'; at: CrashPoint; hit: number }

/** Crash points an offline step (evict, prepare) passes; a daemon's pass passes the publish ones too. */
export const OFFLINE_POINTS: CrashPoint[] = CRASH_POINTS.filter((p) => /^(offline|evict|reclaim|state|publish|delete|opaque):/.test(p))
export const PASS_POINTS: CrashPoint[] = CRASH_POINTS.filter((p) => /^(publish|delete|opaque|state):/.test(p))

export type AgentOp =
  | { k: 'sleep'; ms: number; n: number }
  /** SIGKILL the daemon, start it again after `ms` */
  | { k: 'kill'; ms: number; n: number }
  /** `evict` through the daemon; `kill` ends daemon and client */
  | { k: 'evict'; kill: Kill; n: number }
  /** daemon down, `evict` run offline by the CLI */
  | { k: 'offlineEvict'; kill: Kill; n: number }
  /** power cut: daemon killed, union gone, `prepare` (perhaps killed too) before the union is mounted again */
  | { k: 'reboot'; kill: Kill; n: number }
  /**
   * the daemon started again to kill itself (SIGKILL) or stop (SIGSTOP) at the `hit`th pass of a crash
   * point; a stopped one stays stopped while the next operations of the other host run (time of check,
   * time of use), a killed one is started again as after a crash
   */
  | { k: 'hook'; mode: 'kill' | 'stop'; at: CrashPoint; hit: number; n: number }
  /** the kernel drops its dentries (memory pressure), unknown to the agent: the union looks gv0 up afresh */
  | { k: 'drop'; n: number }

export type Op = Exclude<FsOp, { k: 'hostile' }> | { k: 'hostile'; p: string; n: number; v?: number } | AgentOp

export type OpKind = Op['k']

export const DIRS = ['a', 'b', 'a/c']
export const NAMES = ['x.txt', 'y', 'z.sh']
export const FILES = ['', ...DIRS].flatMap((d) => NAMES.map((n) => (d ? `${d}/${n}` : n)))
/** Every path the model follows; anything else found in gv0 is unexpected (conflict names aside). */
export const NAMESPACE = [...DIRS, ...FILES].sort()

/** Relative weights of the operation kinds; 0 disables a kind. */
export type Mix = Record<OpKind, number>

/**
 * User files named like the agent's own names: this host's and another host's temporaries (never
 * published, reported), conflict copies the user made, overlay's whiteout prefix, and names with a
 * newline, tab or backslash or of 255 bytes (all published like any file). At the top, where no other
 * operation reaches them.
 */
export const ODD_NAMES = [
  '.gfs-writecache.tmp.hydra.0123abcd.4242',
  '.gfs-writecache.tmp.plexus.0123abcd.4242',
  'x.conflict-plexus-20200101T000000Z.txt',
  'y.conflict-hydra-20200101T000000Z',
  '.wh.x.txt',
  'new\nline\tand\\back',
  `${'n'.repeat(251)}.txt`,
]
export const isTempName = (rel: string) => rel.slice(rel.lastIndexOf('/') + 1).startsWith('.gfs-writecache.tmp.')

export const LOCAL_KINDS: OpKind[] = [
  'create', 'append', 'truncate', 'rename', 'delete', 'mkdir', 'rmdir', 'rmtree', 'symlink', 'link', 'chmod', 'setfattr',
  'future', 'samesize', 'writer', 'opaque', 'fifo', 'oddname',
]
export const REMOTE_KINDS: OpKind[] = ['rcreate', 'rmodify', 'rdelete', 'rmkdir', 'hostile', 'rconflict']
export const AGENT_KINDS: OpKind[] = ['sleep', 'kill', 'evict', 'offlineEvict', 'reboot', 'hook', 'drop']

export const FULL_MIX: Mix = {
  create: 10, append: 8, truncate: 3, rename: 4, delete: 4, mkdir: 5, rmdir: 2, rmtree: 2, symlink: 2, link: 2, chmod: 3, setfattr: 2,
  future: 2, samesize: 2, writer: 1, opaque: 2, fifo: 1, oddname: 1,
  rcreate: 5, rmodify: 5, rdelete: 3, rmkdir: 2, hostile: 1, rconflict: 3,
  sleep: 10, kill: 2, evict: 2, offlineEvict: 1, reboot: 1, hook: 3, drop: 2,
}

/** Parses "hostile=0,reboot=3" over a base mix (GFS_MIX). */
export function parseMix(text: string | undefined, base: Mix = FULL_MIX): Mix {
  const mix = { ...base }
  for (const part of (text ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const [k, v] = part.split('=')
    if (!(k in mix) || !Number.isFinite(Number(v))) throw new Error(`GFS_MIX: bad entry ${JSON.stringify(part)}`)
    mix[k as OpKind] = Number(v)
  }
  return mix
}

/** mulberry32: small, fast, and the same on every Node version. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export type KillHow = Kill['how']
export const ALL_KILLS: KillHow[] = ['none', 'delay', 'reclaim', 'at']

/** Parses "none,delay" (GFS_KILLS): the ways evict, offline evict and prepare may be ended. */
export function parseKills(text: string | undefined): KillHow[] {
  if (!text) return ALL_KILLS
  const kills = text.split(',').map((s) => s.trim()) as KillHow[]
  for (const k of kills) if (!ALL_KILLS.includes(k)) throw new Error(`GFS_KILLS: unknown ${JSON.stringify(k)}`)
  return kills
}

/** A kind drawn by weight (one draw of `rnd`); `kinds` holds positive weights only. */
export function drawKind<K>(rnd: () => number, kinds: [K, number][]): K {
  let r = rnd() * kinds.reduce((a, [, w]) => a + w, 0)
  for (const [k, w] of kinds) if ((r -= w) < 0) return k
  return kinds[0][0]
}

export function generate(seed: number, length: number, mix: Mix = FULL_MIX, kills: KillHow[] = ALL_KILLS): Op[] {
  const rnd = prng(seed)
  const int = (n: number) => Math.floor(rnd() * n)
  const pick = <T>(xs: T[]): T => xs[int(xs.length)]
  const kinds = Object.entries(mix).filter(([, w]) => w > 0) as [OpKind, number][]
  const filePath = () => (rnd() < 0.85 ? pick(FILES) : pick(DIRS))
  const dirPath = () => (rnd() < 0.85 ? pick(DIRS) : pick(FILES))
  const kill = (): Kill => {
    // drawn the same way whatever is allowed, so a seed's other operations do not move
    const r = rnd()
    const ms = 40 + int(260)
    const skip = int(4)
    const at = pick(OFFLINE_POINTS)
    const how = r < 0.15 ? 'none' : r < 0.4 ? 'delay' : r < 0.6 ? 'reclaim' : 'at'
    const allowed = kills.includes(how) ? how : kills.includes('delay') ? 'delay' : 'none'
    if (allowed === 'at') return { how: 'at', at, hit: 1 + skip }
    return allowed === 'none' ? { how: 'none' } : allowed === 'delay' ? { how: 'delay', ms } : { how: 'reclaim', skip }
  }
  const ops: Op[] = []
  for (let n = 0; n < length; n++) {
    const kind = drawKind(rnd, kinds)
    switch (kind) {
      case 'rename':
      case 'link':
        ops.push({ k: kind, p: filePath(), q: filePath(), n })
        break
      case 'symlink':
        ops.push({ k: kind, p: filePath(), n, target: rnd() < 0.5 ? `t${n}` : pick(NAMES) })
        break
      case 'mkdir':
      case 'rmdir':
      case 'rmtree':
      case 'rmkdir':
        ops.push({ k: kind, p: dirPath(), n })
        break
      case 'hostile': {
        // 0 and 5 make a directory a symlink (outside, or up inside the volume); the others put a symlink
        // to an outside file, a FIFO, a hard link of an outside file or a device node at a file's name
        const v = int(6)
        ops.push({ k: kind, p: v === 0 || v === 5 ? pick(DIRS) : pick(FILES), n, v })
        break
      }
      case 'hook': {
        const mode = rnd() < 0.5 ? 'kill' : 'stop'
        ops.push({ k: kind, mode, at: pick(PASS_POINTS), hit: 1 + int(3), n })
        break
      }
      case 'chmod':
        ops.push({ k: kind, p: rnd() < 0.7 ? pick(FILES) : pick(DIRS), n, v: int(4) })
        break
      case 'setfattr':
        ops.push({ k: kind, p: pick(FILES), n, v: int(2) })
        break
      case 'rconflict':
      case 'samesize':
      case 'writer':
      case 'fifo':
        ops.push({ k: kind, p: pick(FILES), n })
        break
      case 'opaque':
        ops.push({ k: kind, p: pick(DIRS), n })
        break
      case 'oddname':
        ops.push({ k: kind, p: pick(ODD_NAMES), n })
        break
      case 'rmodify':
        ops.push({ k: kind, p: pick(FILES), n, inPlace: rnd() < 0.5 })
        break
      case 'sleep':
        ops.push({ k: kind, ms: 20 + int(300), n })
        break
      case 'kill':
        ops.push({ k: kind, ms: int(150), n })
        break
      case 'evict':
      case 'offlineEvict':
      case 'reboot':
        ops.push({ k: kind, kill: kill(), n })
        break
      default:
        ops.push({ k: kind, p: filePath(), n } as Op)
    }
  }
  return ops
}

/** One line per operation, for failure reports. */
export function describe(op: Op): string {
  const kill = (k: Kill) => (k.how === 'none' ? '' : k.how === 'delay' ? ` kill@${k.ms}ms` : k.how === 'at' ? ` kill@${k.at}#${k.hit}` : ` kill@unlink#${k.skip + 1}`)
  switch (op.k) {
    case 'rename':
    case 'link':
      return `${op.n} ${op.k} ${op.p} -> ${op.q}`
    case 'symlink':
      return `${op.n} symlink ${op.p} -> ${op.target}`
    case 'sleep':
    case 'kill':
      return `${op.n} ${op.k} ${op.ms}ms`
    case 'drop':
      return `${op.n} dentries dropped`
    case 'evict':
    case 'offlineEvict':
    case 'reboot':
      return `${op.n} ${op.k}${kill(op.kill)}`
    case 'chmod':
    case 'setfattr':
      return `${op.n} ${op.k} ${op.p} (${op.v})`
    case 'rmodify':
      return `${op.n} rmodify ${op.p}${op.inPlace ? ' in place' : ' by rename'}`
    case 'hook':
      return `${op.n} ${op.mode} the daemon at ${op.at}#${op.hit}`
    case 'hostile':
      return `${op.n} hostile ${op.p} (${['dir symlink to outside', 'symlink to an outside file', 'FIFO', 'hard link of an outside file', 'device node', 'dir symlink to ..'][op.v ?? 0]})`
    default:
      return `${op.n} ${op.k} ${op.p}`
  }
}
