// A recording executor for unit tests: answers commands from a table, remembers what ran.
import type { Command } from './command.ts'
import type { Executor } from './executor.ts'
import { frameParts, type BatchCommand } from './fact-batch.ts'
import type { Result } from './result.ts'

export interface FakeReply {
  /** matched against the command's script (put commands: against `put <path>`) */
  match: RegExp | string
  exitCode?: number
  stdout?: string
  stderr?: string
}

export interface FakeExecutor extends Executor {
  readonly ran: Command[]
}

/** An executor that never touches a host; unmatched commands succeed with empty output. */
export function fakeExecutor(host: string, replies: FakeReply[] = []): FakeExecutor {
  const ran: Command[] = []
  const replyTo = (command: Command) => {
    const text = command.kind === 'put' ? `put ${command.path}` : command.script
    const reply = replies.find((r) => (typeof r.match === 'string' ? text.includes(r.match) : r.match.test(text)))
    return { exitCode: reply?.exitCode ?? 0, stdout: reply?.stdout ?? '', stderr: reply?.stderr ?? '' }
  }
  return {
    host,
    ran,
    async run(command: Command): Promise<Result> {
      ran.push(command)
      const batch = command.kind === 'exec' ? (command as Partial<BatchCommand>).batch : undefined
      // a batch of facts is answered part by part, framed the way the real batch script prints them
      const answer = batch
        ? { exitCode: 0, stdout: frameParts(batch.commands.map(replyTo), batch.marker), stderr: '' }
        : replyTo(command)
      return { host, command: command.display, ...answer, durationMs: 0 }
    },
    async close() {},
  }
}
