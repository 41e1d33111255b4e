// The executor for this machine (the controller): the CA, the lab, and tests.
import { spawn } from 'node:child_process'
import type { Command } from './command.ts'
import { putScript } from './command.ts'
import { lineSplitter, type Executor, type RunOptions } from './executor.ts'
import type { Result } from './result.ts'

/** Run commands with sh -c on the controller, with the same result shape as over SSH. */
export function localExecutor(host = 'localhost'): Executor {
  return {
    host,
    async run(command: Command, options: RunOptions = {}): Promise<Result> {
      const exec = command.kind === 'put' ? putScript(command) : command
      const started = performance.now()
      return await new Promise<Result>((resolve) => {
        const child = spawn('sh', ['-c', exec.script], { stdio: ['pipe', 'pipe', 'pipe'], timeout: exec.timeoutMs })
        const out: Buffer[] = []
        const err: Buffer[] = []
        const lines = lineSplitter(options.onLine)
        child.stdout.on('data', (b: Buffer) => (out.push(b), lines(b)))
        child.stderr.on('data', (b: Buffer) => err.push(b))
        child.stdin.on('error', () => {})
        child.stdin.end(exec.stdin ?? '')
        const finish = (exitCode: number, extra = '') =>
          resolve({
            host,
            command: exec.display,
            exitCode,
            stdout: Buffer.concat(out).toString('utf8'),
            stderr: Buffer.concat(err).toString('utf8') + extra,
            durationMs: Math.round(performance.now() - started),
          })
        child.on('error', (e) => finish(127, e.message))
        child.on('close', (code, signal) => finish(code ?? (signal ? 128 : 255)))
      })
    },
    async close() {},
  }
}
