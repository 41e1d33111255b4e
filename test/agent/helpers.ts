// Test sandboxes: real directories and a real overlay mount (tests run as root), cleaned up even on failure.
import { execFileSync, spawnSync } from 'node:child_process'
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ExecutionContext } from 'ava'
import { Agent, type LockedAgent } from '../../src/agent/core/agent.ts'
import { parseConfig, type AgentConfig } from '../../src/agent/service/config.ts'
import { isHiddenRootName } from '../../src/agent/fs/hidden-names.ts'
import { overlayOptions } from '../../src/agent/fs/mounts.ts'
import { FS_TICK_MS } from '../../src/agent/publish/no-clobber.ts'
import { brickHealth } from '../../src/agent/fs/brick-health.ts'

/**
 * GFS_TEST_UNION_LOWER=brick runs the agent suites with union_lower brick: the union's lower is a
 * read-only bind of the gv0 stand-in (the brick of a volume whose bricks are always current).
 */
const brickLayout = process.env.GFS_TEST_UNION_LOWER === 'brick'
if (brickLayout) brickHealth.check = async () => ({ current: true, reason: 'current (GFS_TEST_UNION_LOWER=brick)' })

export interface Sandbox {
  dir: string
  lower: string
  upper: string
  union: string
  cfg: AgentConfig
  configFile: string
  mount(): void
  umount(): void
  agent(): Promise<TestAgent>
}

/** Unmounts (plain first, so a test leaking a holder is visible in the log) and never throws. */
export function forceUmount(path: string): void {
  for (let i = 0; i < 20; i++) {
    const r = spawnSync('umount', [path], { encoding: 'utf8' })
    if (r.status === 0) continue
    if (/not mounted|no mount point/.test(r.stderr)) return
    spawnSync('sleep', ['0.1'])
  }
  spawnSync('umount', ['-l', path])
}

/** The agent config of a test dir holding lower, upper, work, union and state: no mount checks, no dentry drops. */
export function testConfig(dir: string, overrides: Partial<AgentConfig> = {}): AgentConfig {
  const p = (n: string) => join(dir, n)
  return parseConfig({
    host: 'hydra',
    upper: p('upper'),
    work: p('work'),
    lower: p('lower'),
    union: p('union'),
    stateDir: p('state'),
    dentryDropSeconds: 0,
    // gv0 is a local dir here: its ctimes come from this host's clock
    clockSkewSeconds: 0,
    highWatermarkPercent: 99.9,
    lowWatermarkPercent: 90,
    metricsFile: p('metrics/gfs-writecache.prom'),
    socket: p('run/agent.sock'),
    requireLowerMount: false,
    retryMaxSeconds: 1,
    ...overrides,
  })
}

/** An ACL as its xattr value (version 2 header, then tag, perm, id per entry): no setfacl needed. */
export function aclValue(...entries: [tag: number, perm: number, id?: number][]): string {
  const b = Buffer.alloc(4 + entries.length * 8)
  b.writeUInt32LE(2, 0)
  entries.forEach(([tag, perm, id = 0xffffffff], i) => {
    b.writeUInt16LE(tag, 4 + i * 8)
    b.writeUInt16LE(perm, 6 + i * 8)
    b.writeUInt32LE(id, 8 + i * 8)
  })
  return `0x${b.toString('hex')}`
}

/** The names at the root of `dir` (upper or lower) that are a user's: not the agents' hidden ones (hidden-names.ts). */
export function userNames(dir: string): string[] {
  return readdirSync(dir).filter((n) => !isHiddenRootName(n))
}

/** A temp dir with lower (plain dir standing in for gv0), upper, work, union (mounted) and state. */
export async function sandbox(t: ExecutionContext, overrides: Partial<AgentConfig> = {}, opts: { mount?: boolean } = {}): Promise<Sandbox> {
  const dir = mkdtempSync('/tmp/gfswc-test-')
  const p = (n: string) => join(dir, n)
  for (const d of ['lower', 'upper', 'work', 'union', 'state']) mkdirSync(p(d))
  // the brick is the gv0 stand-in spelt another way (at gv0's own path the agent would take it for gv0), so
  // it follows whatever a test mounts there
  const brickBound = brickLayout && !overrides.unionLower
  const brick = brickBound ? { unionLower: 'brick' as const, brick: `${p('lower')}/.`, volume: 'gv0', lowerBind: p('lowerbind') } : {}
  const cfg = testConfig(dir, { settleSeconds: 0.2, scanIntervalSeconds: 2, ...brick, ...overrides })
  const configFile = p('config.json')
  writeFileSync(configFile, JSON.stringify(cfg))
  const agents: Agent[] = []
  const sb: Sandbox = {
    dir,
    lower: cfg.lower,
    upper: cfg.upper,
    union: cfg.union,
    cfg,
    configFile,
    mount: () => {
      if (brickBound) {
        forceUmount(cfg.lowerBind)
        mkdirSync(cfg.lowerBind, { recursive: true })
        execFileSync('mount', ['--bind', cfg.lower, cfg.lowerBind])
        execFileSync('mount', ['-o', 'remount,bind,ro', cfg.lowerBind])
        // as the prepare step records it: else the daemon's first check moves the union to record its own
        writeFileSync(join(cfg.stateDir, 'union-lower.json'), JSON.stringify({ lower: 'brick', reason: 'brick current (bound by the test)' }) + '\n')
      }
      execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', overlayOptions(cfg), cfg.union])
    },
    umount: () => execFileSync('umount', [cfg.union]),
    agent: async () => {
      const a = new Agent(cfg, (line) => t.log(line))
      await a.open()
      // what a test put in gv0 so far was never looked up through the union (a test that makes a
      // stale lookup does so after this): as good as a dentry drop, which the agent may count on.
      // A drop is dated a file-time tick early: wait that out, so gv0's entries so far are older.
      await sleep(FS_TICK_MS + 5)
      a.noteDentryDrop()
      agents.push(a)
      return testAgent(a)
    },
  }
  t.teardown(async () => {
    // closed before the directory goes: a close still under way wrote its state into the removed directory
    await Promise.race([Promise.all(agents.map((a) => a.close().catch(() => {}))), sleep(5000)])
    forceUmount(cfg.union)
    if (cfg.unionLower === 'brick') forceUmount(cfg.lowerBind)
    for (const extra of extraMounts.get(dir) ?? []) extra()
    rmSync(dir, { recursive: true, force: true })
  })
  if (opts.mount ?? true) sb.mount()
  return sb
}

/** Whether the union answers "no such name" at `path` (a stale negative dentry, in the tests that make one). */
export function missingIn(path: string): boolean {
  try {
    lstatSync(path)
    return false
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT'
  }
}

/**
 * For a test of a stale "no such name" in the union: the kernel may free that negative dentry at any moment
 * (another test's drop_caches), and then the scenario did not happen. `scenario` makes its own sandbox and
 * returns false, before asserting anything of it, when the stale lookup did not hold; it runs up to five times.
 */
export async function whileLookupStale(t: ExecutionContext, scenario: () => Promise<boolean>): Promise<void> {
  for (let attempt = 1; attempt <= 5; attempt++) {
    if (await scenario()) return
    t.log(`attempt ${attempt}: the kernel freed the union's negative dentry before the test used it; again`)
  }
  t.fail('the union never kept a negative dentry long enough in 5 attempts')
}

const extraMounts = new Map<string, (() => void)[]>()

/** Registers cleanup for mounts/loop devices a test adds inside its sandbox (run before removal). */
export function onCleanup(sb: Sandbox, fn: () => void): void {
  const list = extraMounts.get(sb.dir) ?? []
  list.unshift(fn)
  extraMounts.set(sb.dir, list)
}

/** Reads a file as text (tests assert real contents). */
export function text(path: string): string {
  return readFileSync(path, 'utf8')
}

/** Sleeps; used to let the settle time pass. */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Flushes with --wait semantics in-process and fails the test with the reason if something stays pending. */
export async function flushAll(t: ExecutionContext, agent: Agent, timeoutMs = 10_000): Promise<void> {
  const r = await agent.flush({ wait: true, timeoutMs })
  t.true(r.ok, r.message)
}

let bundled: Promise<string> | null = null

/** Builds the shipped single-file agent once per test process; CLI tests run exactly that file. */
export function agentBundle(): Promise<string> {
  bundled ??= (async () => {
    const { bundleAgent } = await import('../../src/agent/bundle.ts')
    const { code } = await bundleAgent()
    const dir = mkdtempSync('/tmp/gfswc-bundle-')
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
    const file = join(dir, 'agent.mjs')
    writeFileSync(file, code, { mode: 0o755 })
    return file
  })()
  return bundled
}

/** Runs the bundled CLI to completion. */
export async function cli(args: string[], opts: { cwd?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const file = await agentBundle()
  const r = spawnSync(process.execPath, [file, ...args], { encoding: 'utf8', cwd: opts.cwd, timeout: 60_000 })
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

/** Waits until `check` holds, polling; returns false on timeout instead of hanging. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return true
    await sleep(everyMs)
  }
  return check()
}

/**
 * An agent whose locked parts a test calls directly: tests drive scans and passes step by step from one
 * async flow, which is what the lock guarantees the daemon. Agent's own operations still take the lock.
 */
export type TestAgent = Agent & LockedAgent

export async function testAgent(a: Agent): Promise<TestAgent> {
  const held = await a.exclusive(async (h) => h)
  return new Proxy(a, {
    get(target, prop) {
      const from: object = prop in held && !(prop in Agent.prototype) ? held : target
      const v = Reflect.get(from, prop) as unknown
      return typeof v === 'function' ? v.bind(from) : v
    },
  }) as TestAgent
}
