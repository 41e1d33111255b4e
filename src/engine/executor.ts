// The interface all host I/O goes through; tasks never see node-ssh or child_process.
import type { Command } from './command.ts'
import type { Result } from './result.ts'

export interface Executor {
  readonly host: string
  /** Run one command. Never throws for a non-zero exit; throws ConnectError when the host is gone. */
  run(command: Command): Promise<Result>
  close(): Promise<void>
}
