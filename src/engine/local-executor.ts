// The executor for this machine (the controller): the CA, the lab, and tests.
import type { Command } from './command.ts'
import { putScript } from './command.ts'
import { lineSplitter, type Executor, type RunOptions } from './executor.ts'
import { runProcess } from './process.ts'
import type { Result } from './result.ts'

/** Run commands with sh -c on the controller, with the same result shape as over SSH. */
export function localExecutor(host = 'localhost'): Executor {
  return {
    host,
    async run(command: Command, options: RunOptions = {}): Promise<Result> {
      const exec = command.kind === 'put' ? putScript(command) : command
      return await runProcess(['sh', '-c', exec.script], {
        host,
        display: exec.display,
        input: exec.stdin ?? '',
        timeoutMs: exec.timeoutMs,
        onStdout: options.onLine ? lineSplitter(options.onLine) : undefined,
      })
    },
    async close() {},
  }
}
