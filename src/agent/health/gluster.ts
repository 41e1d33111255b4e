// gluster's health as this host sees it, read from gluster's CLI off the publish path: each check runs
// in child processes with a timeout, and the metrics publish the last answer, never wait for one.
import { parseHealSummary, parsePeers, parseVolumeInfo, type VolumeInfo } from '../../facts/gluster.ts'
import { notStarted, run, type RunResult } from '../fs/run.ts'

export interface GlusterHealth {
  /** when the check ended (ISO time) */
  checkedAt: string
  /** why gluster gave no full answer (CLI missing, timed out, failed); the counts are then absent */
  problem: string | null
  peersConnected?: number
  peersTotal?: number
  /** bricks this host's gluster client reaches (heal info's view, the one writes depend on) */
  bricksOnline?: number
  bricksTotal?: number
  /** entries in the bricks' heal indices, summed over bricks */
  healPending?: number
  splitBrain?: number
  /** whether the client quorum allows writes with the bricks reachable now */
  writable?: boolean
}

export type GlusterRunner = (args: string[], timeoutMs: number) => Promise<RunResult>

const runGluster: GlusterRunner = (args, timeoutMs) =>
  run('gluster', ['--mode=script', ...args, '--xml'], { stdout: true, cLocale: true, timeoutMs }).catch(notStarted)

/** Whether AFR's client quorum lets a replica set write with `online` of its bricks (first brick listed first). */
export function quorumMet(volume: Pick<VolumeInfo, 'bricks' | 'options'>, online: boolean[]): boolean {
  const n = volume.bricks.length
  const up = online.filter(Boolean).length
  const type = volume.options['cluster.quorum-type'] ?? (n >= 3 ? 'auto' : 'none')
  if (type === 'fixed') return up >= Number(volume.options['cluster.quorum-count'] ?? n)
  if (type === 'auto') return up > n / 2 || (up * 2 === n && online[0] === true)
  return up >= 1
}

/** One check: peers, the volume's bricks and quorum options, and heal info's view of the bricks. */
export async function checkGluster(volume: string, runner: GlusterRunner = runGluster, timeoutMs = 30_000): Promise<GlusterHealth> {
  const checkedAt = () => new Date().toISOString()
  const ask = async (args: string[]) => {
    const r = await runner(args, timeoutMs)
    const stdout = r.stdout.toString('utf8')
    if (r.timedOut) throw new Error(`gluster ${args.join(' ')} did not answer within ${timeoutMs / 1000} s`)
    if (r.code === 127 && r.stderr.includes('ENOENT')) throw new Error('the gluster CLI is not installed')
    return { host: 'localhost', command: `gluster ${args.join(' ')}`, exitCode: r.code, stdout, stderr: r.stderr, durationMs: 0 }
  }
  try {
    const peers = parsePeers(await ask(['peer', 'status']))
    const info = parseVolumeInfo(await ask(['volume', 'info', volume]))
    if (!info) return { checkedAt: checkedAt(), problem: `volume ${volume} does not exist` }
    const heal = parseHealSummary(await ask(['volume', 'heal', volume, 'info', 'summary']))
    const connected = new Map(heal.map((b) => [b.brick, b.connected]))
    // heal info lists the bricks in the volume's order; names can differ only in how the host is spelt
    const online = info.bricks.map((b, i) => connected.get(`${b.host}:${b.path}`) ?? heal[i]?.connected === true)
    return {
      checkedAt: checkedAt(),
      problem: null,
      peersConnected: peers.filter((p) => p.connected).length,
      peersTotal: peers.length,
      bricksOnline: online.filter(Boolean).length,
      bricksTotal: info.bricks.length,
      healPending: heal.reduce((sum, b) => sum + b.pending, 0),
      splitBrain: heal.reduce((sum, b) => sum + b.splitBrain, 0),
      writable: quorumMet(info, online),
    }
  } catch (err) {
    return { checkedAt: checkedAt(), problem: (err as Error).message }
  }
}

/** Runs checkGluster every `intervalMs` in the background; `current` is the last answer (null before the first). */
export class GlusterWatch {
  private last: GlusterHealth | null = null
  private timer: NodeJS.Timeout | undefined
  private running = false
  private stopped = false

  constructor(
    private readonly volume: string,
    private readonly intervalMs: number,
    private readonly onResult: (h: GlusterHealth, before: GlusterHealth | null) => void = () => {},
    private readonly runner?: GlusterRunner,
  ) {}

  get current(): GlusterHealth | null {
    return this.last
  }

  start(): void {
    if (this.intervalMs <= 0) return
    void this.once()
  }

  /** One check now, unless one is still running. */
  async once(): Promise<void> {
    if (this.running || this.stopped) return
    this.running = true
    try {
      const h = await checkGluster(this.volume, this.runner)
      const before = this.last
      this.last = h
      this.onResult(h, before)
    } finally {
      this.running = false
      if (!this.stopped && this.intervalMs > 0) {
        this.timer = setTimeout(() => void this.once(), this.intervalMs)
        this.timer.unref()
      }
    }
  }

  stop(): void {
    this.stopped = true
    clearTimeout(this.timer)
  }
}
