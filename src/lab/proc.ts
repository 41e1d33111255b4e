// The lab's processes: programs run through the controller's process layer (argv, never shell text),
// and the lab's long-lived daemons. The only lab module that touches node:child_process.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { runProcess, type ProcessOptions } from '../engine/process.ts'
import type { Result } from '../engine/result.ts'
import { LabError } from './errors.ts'

// `su` without a login shell leaves root without the sbin directories where ip, losetup and mkfs live.
const inherited = (process.env.PATH ?? '').split(':').filter(Boolean)
/** Where the system's programs live, sbin included. */
export const sbinDirs = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']
process.env.PATH = [...inherited, ...sbinDirs.filter((d) => !inherited.includes(d))].join(':')

export type ProcOptions = Pick<ProcessOptions, 'input' | 'env' | 'timeoutMs'>

/** The shell's answer when the program itself is not there. */
function notFound(r: Result, program: string): boolean {
  return r.exitCode === 127 && r.stderr.split('\n').some((l) => l.includes(`${program}: command not found`) || l.endsWith(`${program}: No such file or directory`))
}

/** Runs a program and resolves with its output and exit code, whether it failed or not; a missing program is a LabError. */
export async function run(argv: string[], opts: ProcOptions = {}): Promise<Result> {
  const r = await runProcess(argv, { ...opts, timeoutSignal: 'SIGKILL' })
  if (notFound(r, argv[0]!)) throw new LabError(`${argv[0]} not found`, 'run `npm run lab -- deps`')
  return r
}

/** Runs a program that must succeed; a failure becomes a LabError naming the command and its stderr. */
export async function must(argv: string[], opts: ProcOptions = {}): Promise<string> {
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

/** Starts a daemon in its own session, its output appended to `logFile`, not waited for; returns its pid. */
export function startDetached(argv: string[], logFile: string, options: { cwd?: string } = {}): number {
  const log = openSync(logFile, 'a')
  try {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: options.cwd, detached: true, stdio: ['ignore', log, log] })
    child.unref()
    return child.pid!
  } finally {
    closeSync(log)
  }
}

export type { ChildProcess }

/** Starts a child this process supervises (waits for, signals). */
export function startChild(argv: string[], options: { stdio: StdioOptions; env?: NodeJS.ProcessEnv }): ChildProcess {
  return spawn(argv[0]!, argv.slice(1), options)
}

/** Waits between polls without blocking the event loop. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
