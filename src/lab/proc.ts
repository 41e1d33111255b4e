// Local process execution with argv arrays (never shell text) and one result shape.
import { spawn, type StdioOptions } from 'node:child_process'
import { LabError } from './errors.ts'

// `su` without a login shell leaves root without the sbin directories where ip, losetup and mkfs live.
const inherited = (process.env.PATH ?? '').split(':').filter(Boolean)
/** Where the system's programs live, sbin included. */
export const sbinDirs = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']
process.env.PATH = [...inherited, ...sbinDirs.filter((d) => !inherited.includes(d))].join(':')

export interface RunResult {
  argv: string[]
  stdout: string
  stderr: string
  exitCode: number
}

export interface RunOptions {
  input?: string
  env?: NodeJS.ProcessEnv
  timeoutMs?: number
  stdio?: 'pipe' | 'inherit'
}

/** Runs a program and resolves with its output and exit code, whether it failed or not. */
export function run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const stdio: StdioOptions = opts.stdio === 'inherit' ? 'inherit' : ['pipe', 'pipe', 'pipe']
    const child = spawn(argv[0]!, argv.slice(1), { env: opts.env ?? process.env, stdio })
    let stdout = ''
    let stderr = ''
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (timer) clearTimeout(timer)
      if (err.code === 'ENOENT') reject(new LabError(`${argv[0]} not found`, 'run `npm run lab -- deps`'))
      else reject(err)
    })
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer)
      resolve({ argv, stdout, stderr, exitCode: code ?? (signal ? 128 + 9 : 1) })
    })
    if (child.stdin) {
      child.stdin.on('error', () => {})
      child.stdin.end(opts.input ?? '')
    }
  })
}

/** Runs a program that must succeed; a failure becomes a LabError naming the command and its stderr. */
export async function must(argv: string[], opts: RunOptions = {}): Promise<string> {
  const r = await run(argv, opts)
  if (r.exitCode !== 0) {
    throw new LabError(`command failed (exit ${r.exitCode}): ${argv.join(' ')}\n${(r.stderr || r.stdout).trim()}`)
  }
  return r.stdout
}

/** Runs a program where failure is an expected answer (e.g. "does this link exist?"). */
export async function succeeds(argv: string[]): Promise<boolean> {
  return (await run(argv)).exitCode === 0
}

/** Waits between polls without blocking the event loop. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
