// The agent's one way to run a program (mount, getfattr/setfattr, mknod) and to keep a helper program
// running beside it (the name locks' perl): no shell, and the only agent module that imports node:child_process.
import { spawn, type ChildProcess } from 'node:child_process'

export interface RunOptions {
  /** Open descriptors the child inherits as fd 3, 4, ... (so a file is named /proc/self/fd/3, never by path). */
  fds?: number[]
  /** Written to the child's stdin, which is otherwise closed. */
  input?: string
  /** Collect stdout; without it stdout goes nowhere. */
  stdout?: boolean
  /** LC_ALL=C, for callers that match the program's messages. */
  cLocale?: boolean
  /** SIGKILL the program after this long (it then ends with code 1 and `timedOut`). */
  timeoutMs?: number
}

export interface RunResult {
  /** Exit code; 1 when killed by a signal. */
  code: number
  /** Raw bytes (empty unless `stdout` was asked for): names and values in it are not UTF-8. */
  stdout: Buffer
  stderr: string
  /** killed because it ran longer than `timeoutMs` */
  timedOut?: boolean
}

/** Runs a program to its end; rejects only when it cannot be started (the spawn error, e.g. ENOENT). */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const env = opts.cLocale ? { ...process.env, LC_ALL: 'C' } : process.env
    const stdio = [opts.input === undefined ? 'ignore' : 'pipe', opts.stdout ? 'pipe' : 'ignore', 'pipe', ...(opts.fds ?? [])] as const
    const child = spawn(cmd, args, { env, stdio: [...stdio] })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout?.on('data', (b: Buffer) => out.push(b))
    child.stderr?.on('data', (b: Buffer) => err.push(b))
    let timedOut = false
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true
            child.kill('SIGKILL')
          }, opts.timeoutMs)
    child.on('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolvePromise({ code: code ?? 1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8'), ...(timedOut ? { timedOut } : {}) })
    })
    if (opts.input !== undefined) child.stdin?.end(opts.input)
  })
}

/** The result of a program that could not be started, for callers that report it like a failed run. */
export function notStarted(err: unknown): RunResult {
  return { code: 127, stdout: Buffer.alloc(0), stderr: String(err) }
}

/**
 * Starts a helper that lives beside the agent and talks over its stdin and stdout (lines); its stderr goes to
 * the agent's (the journal). The caller owns its life: `exit` and `error` events, closing its stdin.
 */
export function startHelper(cmd: string, args: string[]): ChildProcess {
  return spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] })
}
