// systemd's watchdog: while the event loop runs, WATCHDOG=1 goes to the service manager; a hung agent is
// killed and restarted. Node has no unix datagram sockets, so systemd-notify sends it, with the agent's
// PID as sender (--pid): systemd then accepts it under NotifyAccess=main, also after the helper exited.
import { run } from '../fs/run.ts'

export interface Watchdog {
  stop(): void
}

/** The beat interval for this process from systemd's environment, or undefined when no watchdog is set. */
export function watchdogInterval(env: NodeJS.ProcessEnv, pid: number): number | undefined {
  const usec = Number(env.WATCHDOG_USEC)
  if (!env.NOTIFY_SOCKET || !Number.isFinite(usec) || usec <= 0) return undefined
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return undefined
  // three beats per period: one late beat on a busy host is not a kill
  return Math.max(1, Math.floor(usec / 1000 / 3))
}

/** Beats until stopped; a beat that cannot be sent is logged once (systemd then restarts the agent). */
export function startWatchdog(log: (message: string) => void, env = process.env, pid = process.pid): Watchdog {
  const interval = watchdogInterval(env, pid)
  if (interval === undefined) return { stop() {} }
  let complained = false
  const beat = () => {
    run('systemd-notify', [`--pid=${pid}`, 'WATCHDOG=1'])
      .then((r) => (r.code === 0 ? undefined : r.stderr.trim() || `exit ${r.code}`))
      .catch((e: Error) => e.message)
      .then((problem) => {
        if (problem && !complained) log(`watchdog: systemd-notify failed: ${problem}`)
        complained ||= !!problem
      })
  }
  beat()
  const timer = setInterval(beat, interval)
  timer.unref()
  return { stop: () => clearInterval(timer) }
}
