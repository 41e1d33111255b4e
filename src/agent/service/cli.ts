// The host CLI (`gfs-writecache ...`): fixed commands that tests and the repair playbook call.
// Only this file maps errors to messages and exit codes: 0 ok, 1 operation failed, 2 usage/config.
import { Agent } from '../core/agent.ts'
import { ConfigError, loadConfig, type AgentConfig } from './config.ts'
import { callAgent, type Request } from './control-socket.ts'
import { runDaemon } from './daemon.ts'
import { evictCycle, prepare, type EvictResult } from '../offline/evict.ts'
import { acquireLock, LockHeldError } from './lock.ts'
import { stderrLog } from './log.ts'
import { isUnionMounted, mountUnion, umountUnion } from '../fs/mounts.ts'
import { bindUnionLower } from '../fs/union-lower.ts'
import { UnionMountedError } from '../offline/reclaim.ts'
import type { ConflictReport } from '../state/state-store.ts'
import { formatStatus, type StatusReport } from './status.ts'
import { AGENT_VERSION } from './version.ts'
import { parseArgs, USAGE, type Args } from './cli-args.ts'
import { checkGluster } from '../health/gluster.ts'
import { withHealth } from '../health/report.ts'
import { exitCodes } from '../health/verdict.ts'
import { showProgress, type ProgressSnapshot } from '../uplink/progress-display.ts'
import { parseLimit } from '../uplink/timetable.ts'
import { Uplink, type UplinkReport } from '../uplink/uplink.ts'

export interface Io {
  out(text: string): void
  err(text: string): void
  /** a terminal: progress rewrites one line instead of printing a line every few seconds */
  tty?: boolean
  /** writes without a newline (the terminal's updating progress line) */
  raw?(text: string): void
}

const processIo: Io = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : t + '\n'),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : t + '\n'),
  tty: process.stdout.isTTY === true,
  raw: (t) => process.stdout.write(t),
}

/**
 * Asks the daemon; without one, runs in-process under the state lock. A daemon that holds the lock
 * but does not answer yet is starting: wait for its socket rather than fail.
 */
async function viaDaemon<T>(cfg: AgentConfig, req: Request, timeoutMs: number, fn: (agent: Agent) => Promise<T>): Promise<T> {
  const deadline = Date.now() + 60_000
  for (;;) {
    const answer = await callAgent<T>(cfg.socket, req, timeoutMs)
    if (answer) return answer
    try {
      return await offline(cfg, fn)
    } catch (error) {
      if (!(error instanceof LockHeldError) || Date.now() > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }
}

/** Runs a command against an in-process agent holding the state lock (no daemon running). */
async function offline<T>(cfg: AgentConfig, fn: (agent: Agent) => Promise<T>): Promise<T> {
  const release = acquireLock(cfg.stateDir)
  try {
    const agent = new Agent(cfg, stderrLog)
    await agent.open()
    try {
      return await fn(agent)
    } finally {
      await agent.close()
    }
  } finally {
    release()
  }
}

/**
 * The report with the thresholds' verdict as the exit code (Nagios: 0 ok, 1 warning, 2 critical).
 * `--json` exits 0 whenever it reports, so scripts that read the JSON keep working; the verdict is in `health`.
 * The thresholds are this config file's, also when the daemon answers.
 */
async function status(cfg: AgentConfig, a: Args, io: Io): Promise<number> {
  let s = await callAgent<StatusReport>(cfg.socket, { cmd: 'status', rescan: a.rescan })
  if (!s) {
    const agent = new Agent(cfg)
    await agent.open()
    const gluster = cfg.glusterCheckSeconds > 0 ? await checkGluster(cfg.volume, undefined, 10_000) : null
    // open() walked the cache: as fresh as --rescan asks
    s = { ...(await agent.status()), gluster, ...(a.rescan ? { rescanned: true } : {}) }
  }
  s = withHealth(s, cfg, s.gluster ?? null)
  io.out(a.json ? JSON.stringify(s) : formatStatus(s))
  return a.json ? 0 : (s.health?.code ?? exitCodes.unknown)
}

async function flush(cfg: AgentConfig, a: Args, io: Io): Promise<number> {
  const req = { cmd: 'flush' as const, wait: a.wait, timeoutMs: a.timeoutSeconds * 1000, now: a.now }
  type R = { ok: boolean; message: string; pending: { entries: number } }
  let local: Agent | null = null
  const progress = a.wait ? showProgress(io, async () => (local ? local.progress() : await callAgent<ProgressSnapshot>(cfg.socket, { cmd: 'progress' }, 10_000))) : null
  // without a daemon this run is the agent's start: temporaries of a crashed agent go first, as a daemon's do
  const r = await viaDaemon<R>(cfg, req, req.timeoutMs + 30_000, async (agent) => {
    local = agent
    await agent.removeStaleTemps()
    return agent.flush(req)
  }).finally(() => progress?.stop())
  if (r.ok) {
    io.out(r.message)
    return 0
  }
  io.err(`flush: ${r.message}`)
  return 1
}

/** `limit`: shows the limit in force, or sets it (daemon or not: the override is kept on the cache disk). */
async function limit(cfg: AgentConfig, a: Args, io: Io): Promise<number> {
  const change = a.clear ? null : (a.value ?? undefined)
  if (change) {
    try {
      parseLimit(change)
    } catch (err) {
      io.err(`limit: ${(err as Error).message}`)
      return 2
    }
  }
  let r = await callAgent<UplinkReport>(cfg.socket, { cmd: 'limit', limit: change })
  if (!r) {
    const uplink = Uplink.fromConfig(cfg.bandwidth, cfg.stateDir)
    if (change !== undefined) uplink.setOverride(change)
    r = uplink.report(0)
  }
  if (a.json) io.out(JSON.stringify(r))
  else io.out(`upload limit: ${r.limit} (${r.source})${r.next ? `; ${r.next.limit} from ${r.next.at}` : ''}`)
  return 0
}

async function evict(cfg: AgentConfig, io: Io): Promise<number> {
  const r = await viaDaemon<EvictResult>(cfg, { cmd: 'evict' }, 3_600_000, (agent) => evictCycle(agent))
  if (r.ok && r.mountError) {
    io.err(`evict: ${r.message}\nmount it with: gfs-writecache mount-union`)
    return 1
  }
  if (r.ok) {
    io.out(r.message)
    return 0
  }
  io.err(`evict: ${r.message}`)
  return 1
}

async function conflicts(cfg: AgentConfig, a: Args, io: Io): Promise<number> {
  let list = await callAgent<ConflictReport[]>(cfg.socket, { cmd: 'conflicts' })
  if (!list) {
    const agent = new Agent(cfg)
    await agent.loadRecords()
    list = agent.conflicts()
  }
  if (a.json) io.out(JSON.stringify(list))
  else if (list.length === 0) io.out('no conflicts')
  else for (const c of list) io.out(`${c.time} ${c.kind} ${c.path}${c.localCopy ? ` -> ${c.localCopy}` : ''}: ${c.message}`)
  return 0
}

/** Entry point of the CLI: returns the exit code instead of exiting, so tests can call it. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  let a: Args
  // a monitor calling `status` reads any failure to report as UNKNOWN (3), as Nagios plugins do
  const failed = argv.find((x) => !x.startsWith('-')) === 'status' ? exitCodes.unknown : 2
  try {
    a = parseArgs(argv)
  } catch (err) {
    io.err(`gfs-writecache: ${(err as Error).message}\n${USAGE}`)
    return failed
  }
  if (a.command === 'version') {
    io.out(AGENT_VERSION)
    return 0
  }
  if (a.command === 'help' || a.command === '') {
    ;(a.command === 'help' ? io.out : io.err)(USAGE)
    return a.command === 'help' ? 0 : 2
  }
  try {
    const cfg = loadConfig(a.config)
    switch (a.command) {
      case 'run':
        await runDaemon(cfg, stderrLog)
        return 0
      case 'prepare': {
        if (isUnionMounted(cfg)) {
          io.err(`prepare: ${cfg.union} is mounted; prepare only changes upper before the union is mounted`)
          return 1
        }
        // the union is mounted after this step whatever happens here: a failure must not keep it
        // down (writes would land on the root disk and the cached data would stay hidden)
        try {
          const r = await offline(cfg, (agent) => prepare(agent))
          io.out(`prepare: published ${r.published}, reclaimed ${r.reclaim.removed}, ${r.reclaim.kept} kept in the cache`)
          if (r.problem) io.err(`prepare: ${r.problem}`)
        } catch (err) {
          if (err instanceof UnionMountedError) throw err
          io.err(`prepare: ${(err as Error).message} (nothing is lost: the cache stays as it is and the union can be mounted)`)
        }
        if (cfg.unionLower === 'brick') {
          const c = await bindUnionLower(cfg)
          io.out(`prepare: union lower ${c.lower} (${c.path}): ${c.reason}`)
        }
        return 0
      }
      case 'mount-union':
        await mountUnion(cfg)
        return 0
      case 'umount-union': {
        const r = await umountUnion(cfg)
        if (r.ok) return 0
        io.err(`umount-union: ${r.message}`)
        return 1
      }
      case 'status':
        return await status(cfg, a, io)
      case 'flush':
        return await flush(cfg, a, io)
      case 'evict':
        return await evict(cfg, io)
      case 'limit':
        return await limit(cfg, a, io)
      case 'conflicts':
        return await conflicts(cfg, a, io)
      default:
        io.err(`gfs-writecache: unknown command ${JSON.stringify(a.command)}\n${USAGE}`)
        return 2
    }
  } catch (err) {
    if (a.command === 'status') io.out(`UNKNOWN: ${(err as Error).message}`)
    if (err instanceof ConfigError) {
      io.err(`gfs-writecache: ${err.message}`)
      return failed
    }
    if (err instanceof UnionMountedError) {
      io.err(`gfs-writecache: ${err.message}`)
      return 1
    }
    io.err(`gfs-writecache ${a.command}: ${(err as Error).message}`)
    return a.command === 'status' ? exitCodes.unknown : 1
  }
}
