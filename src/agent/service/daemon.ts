// `gfs-writecache run`: the long-running loop (watch, scan, publish, drop dentries, evict, metrics).
import type { Server } from 'node:net'
import { Agent } from '../core/agent.ts'
import type { LockedAgent } from '../core/locked-agent.ts'
import type { AgentConfig } from './config.ts'
import { startControlServer, type Request } from './control-socket.ts'
import { dropUnionDentries, watchGraph } from '../watch/dentries.ts'
import { evictCycle } from '../offline/evict.ts'
import { waitForLock } from './lock.ts'
import { retryRemount } from '../offline/remount.ts'
import { checkUnionLower } from '../offline/relower.ts'
import type { Log } from './log.ts'
import { writeMetrics } from './metrics.ts'
import { startWatchdog } from './watchdog.ts'
import { UpperWatcher } from '../watch/watch.ts'
import { RemotePublishes } from '../watch/remote-publishes.ts'
import { DentryUpkeep } from '../watch/dentry-upkeep.ts'
import { GlusterWatch } from '../health/gluster.ts'
import { logGlusterChange, withHealth } from '../health/report.ts'

export interface DaemonHandle {
  agent: Agent
  stop(): Promise<void>
  done: Promise<void>
}

/** Starts the daemon; resolves once it serves the socket. `stop()` ends it cleanly. */
export async function startDaemon(cfg: AgentConfig, log: Log): Promise<DaemonHandle> {
  const release = await waitForLock(cfg.stateDir, log)
  const agent = new Agent(cfg, log)
  let server: Server | null = null
  let watcher: UpperWatcher | null = null
  const gluster = new GlusterWatch(cfg.volume, cfg.glusterCheckSeconds * 1000, (now, before) => logGlusterChange(log, now, before))
  const report = async () => withHealth(await agent.status(), cfg, gluster.current)
  try {
    let wake: (() => void) | null = null
    const poke = () => wake?.()
    // watching from the first walk on: a directory is watched before it is read, so a change made while
    // the start-up walk runs (minutes on a large cache) is seen at once, not at the next full scan
    const w = new UpperWatcher(agent.upper, poke, log)
    watcher = w
    agent.watchDirsWith(w)
    await agent.open()
    await agent.removeStaleTemps().catch((err: Error) => agent.reportError('temps', `removing stale temporaries: ${err.message}`))
    agent.setRunning(true)
    await agent.exclusive(async (held) => held.syncWatcher(w))
    server = await startControlServer(cfg.socket, async (req: Request) => {
      switch (req.cmd) {
        case 'status': {
          if (!req.rescan) return report()
          // not behind a pass for long (one may take minutes): a busy agent answers from its last scan, and says so
          const rescanned = await agent.within(5000, async (held) => {
            await held.rescan()
            held.syncWatcher(w)
            return true
          })
          return { ...(await report()), rescanned: rescanned ?? false }
        }
        case 'flush':
          return agent.flush({ wait: req.wait, timeoutMs: req.timeoutMs, now: req.now })
        case 'progress':
          return agent.progress()
        case 'limit':
          if (req.limit !== undefined) {
            agent.uplink.setOverride(req.limit)
            log(req.limit === null ? 'upload limit: back to the timetable' : `upload limit set to ${req.limit} by gfs-writecache limit`)
          }
          return agent.uplink.report(agent.pending().bytes)
        case 'evict':
          return evictCycle(agent)
        case 'conflicts':
          return agent.conflicts()
        default:
          throw new Error('unknown command')
      }
    })
    log(`gfs-writecache agent started: upper ${cfg.upper} -> ${cfg.lower}, ${agent.entryCount} upper entries`)
    let stopping = false
    gluster.start()
    const drop = () => {
      try {
        const { began, held } = dropUnionDentries(cfg.union, cfg.dropCachesFile)
        agent.noteDentryDrop(began, held)
        agent.clearError('dentries')
      } catch (err) {
        agent.reportError('dentries', `dropping dentries: ${(err as Error).message}`)
      }
    }
    const stopGraphWatch = watchGraph(cfg.lower, 1000, (from, to) => {
      log(`gv0's client switched graphs (${from} -> ${to}, a volume option changed): dropping the union's stale dentries`)
      drop()
    })
    // drops at the interval and at the other host's publishes, stamps at this one's: beside the publish loop
    const upkeep = new DentryUpkeep({
      intervalMs: cfg.dentryDropSeconds * 1000,
      remote: new RemotePublishes(cfg.lower, cfg.host),
      changes: () => agent.gv0Changes,
      drop,
    })
    const stopUpkeep = upkeep.start()
    const tickMs = Math.min(1000, Math.max(50, (cfg.settleSeconds * 1000) / 2))
    // intervals on the monotonic clock: a wall clock stepped back must not stop scans, drops or evicts
    let lastFull = performance.now()
    let lastMetrics = -Infinity
    let lastEvictTry = -Infinity
    let leftOver = true
    let lastRemountTry = -Infinity
    let lastLowerCheck = -Infinity
    /** Walks what changed (all of upper at the scan interval) and publishes what is pending. */
    const scanAndPass = async (held: LockedAgent, now: number) => {
      let changed = false
      if (now - lastFull >= cfg.scanIntervalSeconds * 1000) {
        await held.rescan()
        lastFull = now
        held.syncWatcher(w)
        changed = true
      } else if (w.dirty.size) {
        const dirs = [...w.dirty]
        w.dirty.clear()
        await held.rescanDirs(dirs)
        held.syncWatcher(w)
        changed = true
      }
      // idle: nothing changed and nothing was left over, so skip the walk over the index
      if (!changed && !leftOver) return
      const sum = await held.pass()
      leftOver = sum.blocked !== null || sum.skipped + sum.failed > 0 || held.candidates().length + held.vanished().length > 0
      held.saveState()
    }
    const tick = async () => {
      const now = performance.now()
      if (now - lastRemountTry >= 2000) {
        lastRemountTry = now
        await agent.exclusive((held) => retryRemount(held, log))
      }
      if (now - lastLowerCheck >= cfg.brickCheckSeconds * 1000) {
        lastLowerCheck = now
        await checkUnionLower(agent, log)
      }
      await agent.exclusive((held) => scanAndPass(held, now))
      const used = agent.cacheUsedPercent()
      if (used >= cfg.highWatermarkPercent && now - lastEvictTry >= Math.max(10, cfg.scanIntervalSeconds) * 1000) {
        lastEvictTry = now
        log(`cache disk ${used.toFixed(1)}% used (high watermark ${cfg.highWatermarkPercent}%): evicting`, 'notice')
        const r = await evictCycle(agent)
        if (r.ok) {
          agent.clearError('evict')
          const after = agent.cacheUsedPercent()
          if (after > cfg.lowWatermarkPercent) {
            agent.reportError('evict', `cache disk still ${after.toFixed(1)}% used after evict (unpublished data)`)
          }
        } else agent.reportError('evict', `evict postponed: ${r.message}`)
        await agent.exclusive(async (held) => held.syncWatcher(w))
      }
      if (now - lastMetrics >= 5000) {
        lastMetrics = now
        try {
          writeMetrics(cfg.metricsFile, await report())
          agent.clearError('metrics')
        } catch (err) {
          agent.reportError('metrics', `writing metrics: ${(err as Error).message}`)
        }
      }
    }
    const done = (async () => {
      while (!stopping) {
        try {
          await tick()
        } catch (err) {
          agent.reportError('tick', `agent loop: ${(err as Error).stack ?? String(err)}`)
        }
        if (stopping) break
        await new Promise<void>((r) => {
          const t = setTimeout(r, tickMs)
          wake = () => {
            clearTimeout(t)
            wake = null
            // let more events of the same burst arrive
            setTimeout(r, Math.min(tickMs, 100))
          }
        })
        wake = null
      }
    })()
    const stop = async () => {
      stopping = true
      stopGraphWatch()
      gluster.stop()
      // flush.on_stop_seconds: publish what is pending for that long, then cut copies short (their
      // temporaries go, the entries stay cached for the next start)
      const budgetMs = cfg.onStopSeconds * 1000
      const began = performance.now()
      const cut = setTimeout(() => agent.uplink.stop(), budgetMs)
      if (budgetMs === 0) agent.uplink.stop()
      poke()
      await done
      const left = budgetMs - (performance.now() - began)
      // a flush scans first: a file written just before the stop is not in the index yet
      if (left > 0) {
        log(`stopping: publishing what is pending for at most ${Math.ceil(left / 1000)} s (flush.on_stop_seconds)`)
        const r = await agent.flush({ wait: true, timeoutMs: left }).catch((err: Error) => ({ ok: false, message: err.message }))
        log(`stopping: ${r.ok ? 'everything published' : r.message}`)
      }
      clearTimeout(cut)
      agent.uplink.stop()
      await stopUpkeep()
      agent.setRunning(false)
      w.close()
      await new Promise<void>((r) => (server ? server.close(() => r()) : r()))
      await agent.close()
      try {
        writeMetrics(cfg.metricsFile, await report())
      } catch {
        // best effort on the way out
      }
      release()
    }
    return { agent, stop, done }
  } catch (err) {
    gluster.stop()
    watcher?.close()
    server?.close()
    release()
    throw err
  }
}

/** Runs until SIGTERM/SIGINT (systemd stop). */
export async function runDaemon(cfg: AgentConfig, log: Log): Promise<void> {
  // beating from the start: a long start-up scan is still a live event loop
  const watchdog = startWatchdog((m) => log(m))
  const d = await startDaemon(cfg, log).catch((err: unknown) => {
    watchdog.stop()
    throw err
  })
  await new Promise<void>((resolvePromise) => {
    const onSignal = (sig: string) => {
      log(`${sig}: stopping`, 'notice')
      void d.stop().then(() => watchdog.stop()).then(resolvePromise)
    }
    process.once('SIGTERM', () => onSignal('SIGTERM'))
    process.once('SIGINT', () => onSignal('SIGINT'))
  })
}
