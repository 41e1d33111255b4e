// The interface all host I/O goes through; tasks never see node-ssh or child_process.
import type { Command } from './command.ts'
import type { Result } from './result.ts'

export interface RunOptions {
  /** called with each complete line of output while a long command runs (progress reports) */
  onLine?(line: string): void
}

export interface Executor {
  readonly host: string
  /** Run one command. Never throws for a non-zero exit; throws ConnectError when the host is gone. */
  run(command: Command, options?: RunOptions): Promise<Result>
  close(): Promise<void>
}

/** Split a stream of chunks into lines for RunOptions.onLine. */
export function lineSplitter(onLine: ((line: string) => void) | undefined): (chunk: Buffer) => void {
  let rest = ''
  return (chunk) => {
    if (!onLine) return
    const lines = (rest + chunk.toString('utf8')).split(/\r?\n|\r/)
    rest = lines.pop() ?? ''
    for (const line of lines) if (line.trim()) onLine(line)
  }
}
