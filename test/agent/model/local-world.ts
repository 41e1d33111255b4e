// The model test's world on this machine: a plain directory as gv0, a real overlay as hydra's union,
// and the bundled agent as child processes that are SIGKILLed at chosen points.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, watch, writeFileSync, type FSWatcher } from 'node:fs'
import { join } from 'node:path'
import type { AgentConfig } from '../../../src/agent/service/config.ts'
import { isMountPoint, overlayOptions } from '../../../src/agent/fs/mounts.ts'
import { FS_TICK_MS } from '../../../src/agent/publish/no-clobber.ts'
import { unionMountedAtMs } from '../../../src/agent/watch/dentries.ts'
import { agentBundle, forceUmount, sleep, testConfig, until } from '../helpers.ts'
import { affected, observe, parentsAreDirs, step, walk, WRITER, WRITER_HOLD_MS, type FsOp, type State, type Step } from './fsops.ts'
import { fakeGlusterPath } from './fake-gluster.ts'
import { NAMESPACE, type AgentOp, type Kill } from './generate.ts'
import type { Timing, View, World } from './runner.ts'

/** GFS_TEST_UNION_LOWER=brick: the union's lower is a read-only bind of the brick, here gv0's stand-in itself */
const BRICK = process.env.GFS_TEST_UNION_LOWER === 'brick'

/**
 * A world's host name and gv0: by default hydra with a gv0 of its own (seeded as the other host left
 * it); the two-host model gives a second world plexus's name and the first one's gv0, real dentry drops
 * and a short name-lock hold (a plain directory caches nothing a hold must outlast).
 */
export interface WorldOptions {
  host?: string
  lower?: string
  dropSeconds?: number
  nameLockHoldSeconds?: number
}

interface Proc {
  child: ChildProcess
  exited: Promise<number | string>
  killedByUs: boolean
}

/** True once the kernel reports the process stopped (SIGSTOP), or gone. */
function stopped(p: Proc): boolean {
  try {
    return /^State:\s+T/m.test(readFileSync(`/proc/${p.child.pid}/status`, 'utf8'))
  } catch {
    return false
  }
}

/** Signals a process and every process it started (its own group), as systemd signals a unit's cgroup. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal)
  } catch {
    // the group is gone already
  }
}

function lstatOrNull(path: string): ReturnType<typeof lstatSync> | null {
  try {
    return lstatSync(path)
  } catch {
    return null
  }
}

export class LocalWorld implements World {
  readonly dir: string
  readonly cfg: AgentConfig
  readonly configFile: string
  readonly outside: string
  private daemon: Proc | null = null
  private paused = false
  /** the daemon stopped itself at a crash point and waits for the other host's next operation */
  private held = false
  private readonly output: string[] = []
  private readonly seen: string[] = []
  /** gv0 bound onto itself (a mount point, as gv0_mount is), then each drain mount */
  private readonly drainMounts: string[]
  /** daemons started so far, when the current one was, and when it had surely ended its first pass */
  private gen = 0
  private spawnAt = 0
  private syncedAt: number | null = null
  /** this host's temporaries in gv0 start with it */
  private readonly tempPrefix: string
  /** brick mode: the agent's environment, with a gluster that calls the brick current */
  private readonly env: NodeJS.ProcessEnv = process.env

  constructor(
    private readonly bundle: string,
    readonly log: (line: string) => void,
    settleSeconds: number,
    opts: WorldOptions = {},
  ) {
    this.dir = mkdtempSync('/tmp/gfswc-model-')
    const p = (n: string) => join(this.dir, n)
    for (const d of ['lower', 'upper', 'work', 'union', 'state', 'outside/keys']) mkdirSync(p(d), { recursive: true })
    this.outside = p('outside')
    // what a symlink planted in gv0 points at: root's files the agent must never touch
    writeFileSync(p('outside/secret'), 'root only\n', { mode: 0o600 })
    writeFileSync(p('outside/x.txt'), 'outside x\n')
    writeFileSync(p('outside/keys/y'), 'outside y\n')
    chmodSync(p('outside/keys'), 0o700)
    const lower = opts.lower ?? p('lower')
    if (!opts.lower) {
      // gv0 as the other host left it before this run
      mkdirSync(p('lower/a/c'), { recursive: true })
      writeFileSync(p('lower/a/x.txt'), 'B0\n')
      writeFileSync(p('lower/y'), 'B1\n')
      writeFileSync(p('lower/a/c/z.sh'), 'B2\n')
    }
    // GFS_DROP_SECONDS: the daemon drops the kernel's dentries for real at that interval (machine-wide), so
    // its stale-lookup bound rests on real drops; by default it drops none and knows only union mounts
    const drop = opts.dropSeconds ?? Number(process.env.GFS_DROP_SECONDS ?? 0)
    const drops = drop > 0 ? { dentryDropSeconds: drop, dropCachesFile: '/proc/sys/vm/drop_caches' } : { dropCachesFile: p('drop_caches') }
    // the agent publishes through drain mounts as on the hosts: bind mounts of gv0 stand in for its extra clients
    const lanes = Number(process.env.GFS_MODEL_DRAIN_MOUNTS ?? 3)
    // the brick: a bind of gv0's stand-in at a path of its own (at gv0's own path it would count as gv0)
    if (BRICK) {
      mkdirSync(p('brick'))
      execFileSync('mount', ['--bind', lower, p('brick')])
    }
    const brick = BRICK ? { unionLower: 'brick' as const, brick: p('brick'), volume: 'gv0', lowerBind: p('lowerbind'), brickCheckSeconds: 2 } : {}
    const hold = opts.nameLockHoldSeconds === undefined ? {} : { nameLockHoldSeconds: opts.nameLockHoldSeconds }
    const host = opts.host ?? 'hydra'
    this.tempPrefix = `.gfs-writecache.tmp.${host}.`
    this.cfg = testConfig(this.dir, { host, lower, settleSeconds, scanIntervalSeconds: 1, ...drops, drainMounts: lanes, drainMountDir: p('drain'), ...brick, ...hold })
    if (BRICK) this.env = { ...process.env, PATH: fakeGlusterPath(this.dir, this.cfg.brick!) }
    this.drainMounts = lanes > 0 ? [this.cfg.lower, ...Array.from({ length: lanes }, (_, i) => p(`drain/${i + 1}`))] : []
    for (const m of this.drainMounts) {
      mkdirSync(m, { recursive: true })
      execFileSync('mount', ['--bind', this.cfg.lower, m])
    }
    this.configFile = p('config.json')
    writeFileSync(this.configFile, JSON.stringify(this.cfg))
    this.mount()
  }

  static async create(log: (line: string) => void, settleSeconds = 0.1, opts: WorldOptions = {}): Promise<LocalWorld> {
    const w = new LocalWorld(await agentBundle(), log, settleSeconds, opts)
    await w.startDaemon()
    return w
  }

  private root(view: View): string {
    return view === 'union' ? this.cfg.union : view === 'gv0' ? this.cfg.lower : this.cfg.upper
  }

  private mount(): void {
    // brick mode: the bind the prepare step makes, unless a prepare already made it
    if (this.cfg.unionLower === 'brick' && !isMountPoint(this.cfg.lowerBind)) {
      mkdirSync(this.cfg.lowerBind, { recursive: true })
      execFileSync('mount', ['--bind', this.cfg.brick!, this.cfg.lowerBind])
      execFileSync('mount', ['-o', 'remount,bind,ro', this.cfg.lowerBind])
      writeFileSync(join(this.cfg.stateDir, 'union-lower.json'), JSON.stringify({ lower: 'brick', reason: 'brick current (bound by the test)' }) + '\n')
    }
    execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', overlayOptions(this.cfg), this.cfg.union])
  }

  private mounted(): boolean {
    return isMountPoint(this.cfg.union)
  }

  async observe(view: View, rels: string[]): Promise<Record<string, State>> {
    return observe(this.root(view), rels)
  }

  async walk(view: View): Promise<Record<string, State>> {
    return walk(this.root(view))
  }

  async step(view: View, op: FsOp): Promise<Step> {
    if (view === 'union' && !this.mounted()) return { before: {}, after: {}, done: false }
    if (view === 'union' && op.k === 'writer') return this.writerStep(op)
    return step(this.root(view), op, NAMESPACE)
  }

  /**
   * A writer run beside the agent rather than waited for, so gv0 can be watched while it holds the
   * file: its first half there (the file open for writing all along) is a publish item 2 forbids.
   */
  private async writerStep(op: Extract<FsOp, { k: 'writer' }>): Promise<Step> {
    const root = this.cfg.union
    const names = affected(root, op, NAMESPACE)
    const before = observe(root, names)
    const path = join(root, op.p)
    const st = parentsAreDirs(root, op.p) ? lstatOrNull(path) : null
    if (!st?.isFile()) return { before, after: before, done: false }
    const first = `W${op.n}a\n`
    const child = spawn(process.execPath, ['-e', WRITER, path, first, `W${op.n}b\n`, String(WRITER_HOLD_MS)], { stdio: 'ignore' })
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
    let running = true
    void exited.then(() => (running = false))
    const inGv0 = join(this.cfg.lower, op.p)
    while (running) {
      await sleep(20)
      // only while the writer surely still holds it (the second half comes after the hold)
      if (!running || !parentsAreDirs(this.cfg.lower, op.p) || !lstatOrNull(inGv0)?.isFile()) continue
      let data = ''
      try {
        data = readFileSync(inGv0, 'latin1')
      } catch {
        continue
      }
      if (running && data.endsWith(first)) {
        this.seen.push(`gv0 ${op.p} got the first half of a file still open for writing (op ${op.n})`)
        break
      }
    }
    const code = await exited
    return { before, after: observe(root, names), done: code === 0 }
  }

  async pauseAgent(): Promise<void> {
    if (this.daemon && !this.paused) {
      this.daemon.child.kill('SIGSTOP')
      this.paused = true
      // SIGSTOP is asynchronous: wait until the kernel reports the process stopped
      const pid = this.daemon.child.pid
      await until(() => {
        try {
          return /^State:\s+T/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))
        } catch {
          return true
        }
      }, 1000, 1)
    }
  }

  async resumeAgent(): Promise<void> {
    if (this.daemon && this.paused) this.daemon.child.kill('SIGCONT')
    this.paused = false
    this.held = false
  }

  timing(): Timing {
    const mountedAt = unionMountedAtMs(this.cfg.work)
    if (!this.daemon) return { mountedAt, daemon: null }
    if (this.syncedAt === null) {
      // the daemon writes metrics after the pass of its first tick, then every 5 s: a write within
      // 4.5 s of the start can only be the first, so its first pass (and walk) had ended by then
      try {
        const m = statSync(this.cfg.metricsFile).mtimeMs
        if (m > this.spawnAt && m - this.spawnAt < 4500) this.syncedAt = m
      } catch {
        // not written yet
      }
    }
    return { mountedAt, daemon: { gen: this.gen, spawnAt: this.spawnAt, syncedAt: this.syncedAt } }
  }

  heldAtHook(): boolean {
    return this.held && this.daemon !== null
  }

  async tempsInGv0(): Promise<number> {
    return Object.keys(walk(this.cfg.lower)).filter((rel) => rel.slice(rel.lastIndexOf('/') + 1).startsWith(this.tempPrefix)).length
  }

  private spawnAgent(args: string[], tag: string, hook?: string): Proc {
    const env = hook ? { ...this.env, GFS_WRITECACHE_TEST_HOOK: hook } : this.env
    // its own process group, killed whole as systemd kills a unit's cgroup: a mount(8) the agent started
    // must not outlive it and mount the union after the crash
    const child = spawn(process.execPath, [this.bundle, ...args, '--config', this.configFile], { stdio: ['ignore', 'pipe', 'pipe'], env, detached: true })
    const keep = (b: Buffer) => {
      for (const line of b.toString().split('\n')) if (line) this.output.push(`[${tag} ${child.pid}] ${line}`)
      if (this.output.length > 400) this.output.splice(0, this.output.length - 400)
    }
    child.stdout?.on('data', keep)
    child.stderr?.on('data', keep)
    const proc: Proc = {
      child,
      killedByUs: false,
      exited: new Promise((r) => child.once('exit', (code, signal) => {
        killGroup(child, 'SIGKILL')
        r(code ?? signal ?? -1)
      })),
    }
    return proc
  }

  private async startDaemon(hook?: string): Promise<void> {
    if (this.daemon) return
    // a killed daemon leaves its socket: wait for the new one, not the old file
    rmSync(this.cfg.socket, { force: true })
    this.gen++
    this.spawnAt = Date.now()
    this.syncedAt = null
    const d = this.spawnAgent(['run'], 'daemon', hook)
    this.daemon = d
    // a daemon told to kill itself at a crash point may rightly do so
    if (hook?.startsWith('kill@')) d.killedByUs = true
    void d.exited.then((code) => {
      if (!d.killedByUs) this.seen.push(`the daemon exited by itself (${code})`)
      if (this.daemon === d) this.daemon = null
    })
    await until(() => existsSync(this.cfg.socket) || this.daemon !== d || stopped(d), 10_000, 10)
  }

  /**
   * The daemon started again with a crash-point hook: it kills itself there (a crash, then recovery), or
   * stops there and stays stopped (`held`) until the next operation of the other host has run.
   */
  private async hook(op: Extract<AgentOp, { k: 'hook' }>): Promise<'held' | 'crashed' | 'missed'> {
    await this.killDaemon()
    await this.startDaemon(`${op.mode}@${op.at}#${op.hit}`)
    const d = this.daemon
    if (!d) return 'crashed'
    await until(() => this.daemon !== d || stopped(d), 1000, 10)
    if (this.daemon !== d) return 'crashed'
    if (stopped(d)) {
      this.paused = true
      this.held = true
      return 'held'
    }
    await this.killDaemon()
    return 'missed'
  }

  private async killDaemon(): Promise<void> {
    const d = this.daemon
    this.held = false
    if (!d) return
    d.killedByUs = true
    killGroup(d.child, 'SIGKILL')
    await d.exited
    this.daemon = null
    this.paused = false
  }

  /** Every directory in upper, so an unlink anywhere there (reclaim) is seen. */
  private upperDirs(): string[] {
    const out = [this.cfg.upper]
    for (const [rel, s] of Object.entries(walk(this.cfg.upper))) if (s.t === 'd') out.push(join(this.cfg.upper, rel))
    return out
  }

  /**
   * Runs a CLI command and ends it (and `alsoKill`) as `kill` says: after a delay, or right after its
   * Nth removal of an upper entry, which only reclaim does while the union is unmounted.
   */
  private async runKilled(args: string[], kill: Kill, alsoKill: Proc | null): Promise<string> {
    const watchers: FSWatcher[] = []
    let fired = false
    const victims: Proc[] = []
    const fire = () => {
      if (fired) return
      fired = true
      for (const v of victims) {
        v.killedByUs = true
        killGroup(v.child, 'SIGKILL')
      }
    }
    if (kill.how === 'reclaim') {
      let seen = 0
      for (const d of this.upperDirs()) {
        try {
          watchers.push(watch(d, (event) => {
            if (event === 'rename' && seen++ >= kill.skip) fire()
          }))
        } catch {
          // vanished meanwhile
        }
      }
    }
    const cli = this.spawnAgent(args, args[0], kill.how === 'at' ? `kill@${kill.at}#${kill.hit}` : undefined)
    victims.push(cli)
    if (alsoKill) victims.push(alsoKill)
    const timer = kill.how === 'delay' ? setTimeout(fire, kill.ms) : null
    const code = await cli.exited
    if (kill.how === 'at' && code === 'SIGKILL') fire() // it killed itself: the daemon it drove goes too
    if (timer) clearTimeout(timer)
    for (const w of watchers) w.close()
    if (fired && alsoKill) {
      await alsoKill.exited
      if (this.daemon === alsoKill) this.daemon = null
      this.paused = false
    }
    return fired ? 'killed' : `exit ${code}`
  }

  /** What systemd does after a crash or reboot: prepare and mount a union that is not mounted, start the daemon. */
  private async recover(): Promise<void> {
    if (!this.mounted()) {
      await this.killDaemon()
    }
    // the daemon retries a failed remount: it may have mounted the union before it was stopped
    if (!this.mounted()) {
      const r = await this.runKilled(['prepare'], { how: 'none' }, null)
      if (r !== 'exit 0') this.seen.push(`prepare after a crash: ${r}: ${this.output.slice(-3).join(' | ')}`)
      this.mount()
    }
    await this.startDaemon()
  }

  async agent(op: AgentOp): Promise<void> {
    // a daemon held at a crash point serves nothing: every agent step but a pause lets it go on first
    if (op.k !== 'sleep' && op.k !== 'drop') await this.resumeAgent()
    switch (op.k) {
      case 'sleep':
        await sleep(op.ms)
        return
      case 'kill':
        await this.killDaemon()
        await sleep(op.ms)
        break
      case 'evict':
        if (op.kill.how === 'at') {
          // the daemon runs the cycle: it carries the hook, and the client goes with it
          await this.killDaemon()
          await this.startDaemon(`kill@${op.kill.at}#${op.kill.hit}`)
          const d = this.daemon
          this.log(`evict: ${await this.runKilled(['evict'], { how: 'none' }, null)}${d && this.daemon !== d ? ' (daemon killed at its crash point)' : ''}`)
          await this.killDaemon()
          break
        }
        await this.startDaemon()
        this.log(`evict: ${await this.runKilled(['evict'], op.kill, this.daemon)}`)
        break
      case 'hook': {
        const r = await this.hook(op)
        this.log(`${op.mode}@${op.at}#${op.hit}: ${r}`)
        if (r === 'held') return
        break
      }
      case 'drop':
        writeFileSync('/proc/sys/vm/drop_caches', '2')
        return
      case 'offlineEvict':
        await this.killDaemon()
        this.log(`offline evict: ${await this.runKilled(['evict'], op.kill, null)}`)
        break
      case 'reboot':
        await this.killDaemon()
        forceUmount(this.cfg.union)
        this.log(`prepare: ${await this.runKilled(['prepare'], op.kill, null)}`)
        break
    }
    // systemd starts the agent after the union's mount, not within the same clock tick: the oracle dates
    // the daemon against the mount only when they are more than a tick apart (runner.ts, surelyShown)
    if (op.k === 'offlineEvict' || op.k === 'reboot') await sleep(2 * FS_TICK_MS)
    await this.recover()
  }

  async drain(): Promise<string[]> {
    const problems: string[] = []
    await this.resumeAgent()
    await this.recover()
    const step = async (args: string[]) => {
      const r = await this.runKilled(args, { how: 'none' }, null)
      if (r !== 'exit 0') problems.push(`${args.slice(0, 2).join(' ')} failed (${r}): ${this.output.slice(-4).join(' | ')}`)
    }
    await step(['flush', '--wait', '--timeout', '8'])
    await step(['evict'])
    if (!this.mounted()) problems.push('the union is not mounted after the evict')
    await step(['flush', '--wait', '--timeout', '8'])
    const d = this.daemon
    if (d) {
      d.killedByUs = true
      d.child.kill('SIGTERM')
      await d.exited
      this.daemon = null
    }
    return problems
  }

  problems(): string[] {
    return [...this.seen]
  }

  async outsideFingerprint(): Promise<string> {
    const owners = Object.keys(walk(this.outside)).map((rel) => {
      const st = lstatSync(join(this.outside, rel))
      return `${rel}:${st.uid}:${st.gid}:${st.ino}`
    })
    return JSON.stringify([walk(this.outside), owners])
  }

  /** The agent's recent output, for failure reports. */
  recentOutput(): string[] {
    return this.output.slice(-60)
  }

  async dispose(): Promise<void> {
    if (this.daemon) {
      this.daemon.child.kill('SIGCONT')
      await this.killDaemon()
    }
    forceUmount(this.cfg.union)
    if (this.cfg.unionLower === 'brick') {
      forceUmount(this.cfg.lowerBind)
      forceUmount(this.cfg.brick!)
    }
    for (const m of [...this.drainMounts].reverse()) forceUmount(m)
    rmSync(this.dir, { recursive: true, force: true })
  }
}
