// A host's fact answers, by command: the same command is read once until something changes.
import type { Command } from './command.ts'
import type { Result } from './result.ts'

/** The key facts are cached under on a host. */
export function factKey(command: Command): string {
  return command.kind === 'exec' ? `${command.controller ? 'controller:' : ''}${command.script}` : `put:${command.path}`
}

export class FactCache {
  readonly #answers = new Map<string, Promise<Result>>()

  /** The answer to `command`, read with `read` unless it is cached (or being read). */
  answer(command: Command, read: () => Promise<Result>): Promise<Result> {
    const key = factKey(command)
    let pending = this.#answers.get(key)
    if (!pending) {
      pending = read()
      this.#answers.set(key, pending)
    }
    return pending
  }

  /** Keep an answer read some other way (a batch of facts). */
  store(command: Command, result: Result): void {
    this.#answers.set(factKey(command), Promise.resolve(result))
  }

  /** Drop one answer (its parser could not read it: read it again next time). */
  forget(command: Command): void {
    this.#answers.delete(factKey(command))
  }

  /** Drop every answer: something changed on a host. */
  clear(): void {
    this.#answers.clear()
  }
}
