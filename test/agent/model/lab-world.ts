// The model test's world in the lab: hydra's real union and agent (systemd), plexus writing straight into
// gv0 through its own gluster mount. File operations run on the hosts through a bundled copy of fsops.ts.
import { build } from 'esbuild'
import { fileURLToPath } from 'node:url'
import { lab, onHost, tryOnHost } from '../../helpers/lab.ts'
import type { FsOp, Request, State, Step } from './fsops.ts'
import { NAMESPACE, type AgentOp } from './generate.ts'
import { agentDefaults } from '../../../src/agent/service/defaults.ts'
import type { View, World } from './runner.ts'

const FSOPS = '/root/model-fsops.mjs'
const UNIT = 'gfs-writecache.service'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** fsops.ts as one ESM file for the hosts' Node 18. */
async function fsopsBundle(): Promise<string> {
  const entry = fileURLToPath(new URL('./fsops.ts', import.meta.url))
  const r = await build({
    stdin: { contents: `import { serve } from ${JSON.stringify(entry)}\nlet s = ''\nprocess.stdin.on('data', (b) => (s += b)).on('end', () => process.stdout.write(JSON.stringify(serve(JSON.parse(s)))))\n`, resolveDir: '/', loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node18',
    write: false,
  })
  return r.outputFiles[0].text
}

export class LabWorld implements World {
  readonly outside = '/root/model-outside'
  private readonly notes: string[] = []
  private held = false

  private constructor(
    private readonly base: string,
    readonly log: (line: string) => void,
  ) {}

  /** A fresh directory `base` in gv0 with the baseline tree, the outside sentinel on hydra, fsops on both hosts. */
  static async create(base: string, log: (line: string) => void): Promise<LabWorld> {
    const code = await fsopsBundle()
    for (const h of ['hydra', 'plexus']) await onHost(h, `cat > ${FSOPS}`, { input: code })
    const w = new LabWorld(base, log)
    await onHost('hydra', `rm -rf ${w.outside} && mkdir -p ${w.outside}/keys && echo 'root only' > ${w.outside}/secret && chmod 600 ${w.outside}/secret && echo 'outside x' > ${w.outside}/x.txt && echo 'outside y' > ${w.outside}/keys/y && chmod 700 ${w.outside}/keys`)
    await onHost('plexus', `rm -rf /gfs/gv0/${base} && mkdir -p /gfs/gv0/${base}/a/c && echo B0 > /gfs/gv0/${base}/a/x.txt && echo B1 > /gfs/gv0/${base}/y && echo B2 > /gfs/gv0/${base}/a/c/z.sh`)
    // hydra's union must see the baseline: no negative dentries from earlier lookups
    await onHost('hydra', `echo 2 > /proc/sys/vm/drop_caches; ls -R /gfs/union/${base} >/dev/null`)
    // and hydra's agent must know it did: it counts a gv0 change as seen only after a drop of its own that
    // came later by more than the clock skew it allows between hosts (clockSkewSeconds, the default in the
    // lab; no-clobber.ts); before that it keeps gv0's entry where the union deleted it. A started agent
    // drops at its first round (within a second).
    await new Promise((r) => setTimeout(r, agentDefaults.clockSkewSeconds * 1000 + 500))
    await onHost('hydra', `systemctl restart ${UNIT} && sleep 3`)
    return w
  }

  private where(view: View): { host: string; root: string } {
    if (view === 'union') return { host: 'hydra', root: `/gfs/union/${this.base}` }
    if (view === 'upper') return { host: 'hydra', root: `/data/writecache/upper/${this.base}` }
    return { host: 'plexus', root: `/gfs/gv0/${this.base}` }
  }

  private async call<T>(host: string, req: Request): Promise<T> {
    return JSON.parse(await onHost(host, `node ${FSOPS}`, { input: JSON.stringify(req), timeoutMs: 120_000 })) as T
  }

  async observe(view: View, rels: string[]): Promise<Record<string, State>> {
    const { host, root } = this.where(view)
    return this.call(host, { do: 'observe', root, rels })
  }

  async walk(view: View): Promise<Record<string, State>> {
    const { host, root } = this.where(view)
    return this.call(host, { do: 'walk', root })
  }

  async step(view: View, op: FsOp): Promise<Step> {
    const { host, root } = this.where(view)
    return this.call(host, { do: 'step', root, op, namespace: NAMESPACE })
  }

  async pauseAgent(): Promise<void> {
    await tryOnHost('hydra', `systemctl kill -s STOP ${UNIT}`)
  }

  async resumeAgent(): Promise<void> {
    await tryOnHost('hydra', `systemctl kill -s CONT ${UNIT}`)
    this.held = false
  }

  heldAtHook(): boolean {
    return this.held
  }

  /** Restarts the agent with a crash-point hook (systemd passes its manager's environment on). */
  private async restartWithHook(hook: string): Promise<void> {
    const env = `GFS_WRITECACHE_TEST_HOOK=${hook}`
    await tryOnHost('hydra', `systemctl set-environment ${env}; systemctl restart ${UNIT}; systemctl unset-environment GFS_WRITECACHE_TEST_HOOK`)
  }

  /** The agent's state: 'T' stopped, 'gone' not running (killed itself), else running. */
  private async agentState(pid0: string): Promise<string> {
    const r = await tryOnHost('hydra', `p=$(systemctl show -p MainPID --value ${UNIT}); [ "$p" != 0 ] && [ "$p" = "${pid0}" ] && awk '/^State:/ {print $2}' /proc/$p/status || echo gone`)
    return r.stdout.trim() || 'gone'
  }

  /** The hook op: the agent kills or stops itself at a crash point; missed within 3 s, it is restarted. */
  private async hook(op: Extract<AgentOp, { k: 'hook' }>): Promise<boolean> {
    await this.restartWithHook(`${op.mode}@${op.at}#${op.hit}`)
    const pid = (await onHost('hydra', `systemctl show -p MainPID --value ${UNIT}`)).trim()
    for (let i = 0; i < 30; i++) {
      const s = await this.agentState(pid)
      if (s === 'T') {
        this.held = true
        this.log(`${op.mode}@${op.at}#${op.hit}: held`)
        return true
      }
      if (s === 'gone') {
        this.log(`${op.mode}@${op.at}#${op.hit}: crashed`)
        return false
      }
      await sleep(100)
    }
    this.log(`${op.mode}@${op.at}#${op.hit}: missed`)
    await tryOnHost('hydra', `systemctl restart ${UNIT}`)
    return false
  }

  async tempsInGv0(): Promise<number> {
    return this.call('hydra', { do: 'temps', root: `/gfs/gv0/${this.base}`, prefix: '.gfs-writecache.tmp.hydra.' })
  }

  /** The union mounted (through the prepare unit, as at boot) and the agent serving again. */
  private async recover(): Promise<void> {
    await onHost('hydra', `mountpoint -q /gfs/union || { systemctl stop ${UNIT}; systemctl start gfs-union.mount; }; systemctl start ${UNIT}`, { timeoutMs: 300_000 })
    for (let i = 0; i < 100; i++) {
      if ((await tryOnHost('hydra', 'gfs-writecache status --json >/dev/null && test -S /run/gfs-writecache/agent.sock')).exitCode === 0) return
      await sleep(200)
    }
    this.notes.push('the agent did not serve again within 20 s after a kill')
  }

  async agent(op: AgentOp): Promise<void> {
    if (op.k !== 'sleep' && op.k !== 'drop' && this.held) await this.resumeAgent()
    switch (op.k) {
      case 'sleep':
        await sleep(op.ms)
        return
      case 'drop':
        await tryOnHost('hydra', 'echo 2 > /proc/sys/vm/drop_caches')
        return
      case 'hook':
        if (await this.hook(op)) return
        break
      case 'kill':
        await tryOnHost('hydra', `systemctl kill -s KILL ${UNIT}`)
        await sleep(op.ms)
        break
      default: {
        if (op.kill.how === 'at') {
          // the daemon runs the cycle with the hook; restarted plainly afterwards
          await this.restartWithHook(`kill@${op.kill.at}#${op.kill.hit}`)
          const r = await tryOnHost('hydra', 'gfs-writecache evict')
          this.log(`evict (kill@${op.kill.at}): exit ${r.exitCode} ${r.stderr.trim()}`)
          await tryOnHost('hydra', `systemctl restart ${UNIT}`)
          break
        }
        // the lab kills by time only (no view into reclaim's progress from outside the host)
        const ms = op.kill.how === 'delay' ? op.kill.ms : op.kill.how === 'reclaim' ? 150 + 50 * op.kill.skip : null
        if (ms === null) {
          const r = await tryOnHost('hydra', 'gfs-writecache evict')
          this.log(`evict: exit ${r.exitCode} ${r.stderr.trim()}`)
        } else {
          const pid = (await onHost('hydra', 'setsid gfs-writecache evict >/dev/null 2>&1 < /dev/null & echo $!')).trim()
          await sleep(ms)
          await tryOnHost('hydra', `systemctl kill -s KILL ${UNIT}; kill -KILL ${pid} 2>/dev/null; true`)
          this.log(`evict killed after ${ms} ms`)
        }
      }
    }
    await this.recover()
  }

  async drain(): Promise<string[]> {
    const problems: string[] = []
    if (this.held) await this.resumeAgent()
    await this.recover()
    for (const cmd of ['flush --wait --timeout 120', 'evict', 'flush --wait --timeout 120']) {
      const r = await lab.exec('hydra', ['sh', '-c', `gfs-writecache ${cmd}`], { timeoutMs: 300_000 })
      if (r.exitCode !== 0) problems.push(`${cmd.split(' ').slice(0, 2).join(' ')} failed (exit ${r.exitCode}): ${r.stderr.trim()}`)
    }
    if ((await tryOnHost('hydra', 'mountpoint -q /gfs/union')).exitCode !== 0) problems.push('the union is not mounted after the evict')
    await onHost('hydra', `systemctl stop ${UNIT}`)
    return problems
  }

  problems(): string[] {
    return [...this.notes]
  }

  async outsideFingerprint(): Promise<string> {
    return onHost('hydra', `cd ${this.outside} && find . -printf '%p %y %m %U %G %i %s\\n' | sort && find . -type f -exec sha256sum {} + | sort`)
  }

  async dispose(): Promise<void> {
    await tryOnHost('hydra', `systemctl kill -s CONT ${UNIT}; systemctl start ${UNIT}`)
    // what the run made (FIFOs, names like temporaries) must not leave later tests an agent with errors
    await tryOnHost('hydra', `rm -rf '/gfs/union/${this.base}'; gfs-writecache flush --wait --timeout 120`)
  }
}
