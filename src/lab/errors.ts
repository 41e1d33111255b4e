// Errors the lab reports to its user; only cli.ts turns them into messages and exit codes.

/** A lab failure with a message meant for the person at the terminal, not a stack trace. */
export class LabError extends Error {
  constructor(message: string, readonly hint?: string) {
    super(message)
    this.name = 'LabError'
  }
}
