// The controller's one way to run a program (the CA's openssl, the lab's tools, the CLI under test):
// zx underneath, the engine's Result on top. Never throws for a failed program: the exit code says it.
import { constants } from 'node:os'
import type { Result } from './result.ts'

// zx is loaded on first use: a no-change run that starts no program on the controller does not pay for it.
const zx = (): Promise<typeof import('zx/core')> => import('zx/core')

export interface ProcessOptions {
  /** Result.command (default: the argv joined) */
  display?: string
  /** Result.host (default: 'localhost') */
  host?: string
  input?: string | Buffer
  env?: NodeJS.ProcessEnv
  cwd?: string
  timeoutMs?: number
  /** sent when timeoutMs is up (default SIGTERM) */
  timeoutSignal?: NodeJS.Signals
  /** each chunk of stdout as it arrives (progress) */
  onStdout?(chunk: Buffer): void
}

/** The exit code a shell would report: 128 + the signal's number for a killed program. */
function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code
  return signal ? 128 + (constants.signals[signal] ?? 0) : 255
}

/** Run a program (argv, never shell text) and collect its output. */
export async function runProcess(argv: string[], options: ProcessOptions = {}): Promise<Result> {
  const started = performance.now()
  const { $ } = await zx()
  const child = $({
    nothrow: true,
    quiet: true,
    verbose: false,
    input: options.input ?? '',
    env: options.env ?? process.env,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.timeoutMs ? { timeout: options.timeoutMs, timeoutSignal: options.timeoutSignal ?? 'SIGTERM' } : {}),
  })`${argv}`
  if (options.onStdout) child.stdout.on('data', options.onStdout)
  const out = await child
  return {
    host: options.host ?? 'localhost',
    command: options.display ?? argv.join(' '),
    exitCode: exitCodeOf(out.exitCode, out.signal),
    stdout: out.stdout,
    stderr: out.stderr,
    durationMs: Math.round(performance.now() - started),
  }
}

/** Run a program on this terminal (stdin, stdout and stderr inherited); resolves with its exit code. */
export async function runAttached(argv: string[], options: Pick<ProcessOptions, 'env' | 'cwd'> = {}): Promise<number> {
  const { $ } = await zx()
  const out = await $({
    nothrow: true,
    quiet: true,
    verbose: false,
    stdio: 'inherit',
    env: options.env ?? process.env,
    ...(options.cwd ? { cwd: options.cwd } : {}),
  })`${argv}`
  return exitCodeOf(out.exitCode, out.signal)
}
