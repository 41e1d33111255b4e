// The error family: thrown inside the engine, turned into messages and exit codes only by the CLI.

/** Base class: `message` is meant for the user as it is, without a stack trace. */
export class ProvisionError extends Error {
  override name = 'ProvisionError'
}

/** An inventory that cannot be used: says file, line, key and what is expected. */
export class InventoryError extends ProvisionError {
  override name = 'InventoryError'
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly key: string | undefined,
    readonly expected: string,
  ) {
    super(`${file}${line ? `:${line}` : ''}: ${key ? `${key}: ` : ''}${expected}`)
  }
}

/** A host that cannot be reached or whose identity cannot be verified. */
export class ConnectError extends ProvisionError {
  override name = 'ConnectError'
  constructor(readonly host: string, message: string) {
    super(`${host}: ${message}`)
  }
}

/** Logged in, but sudo does not make the user root: the host is reached, and nothing can be done on it. */
export class BecomeError extends ProvisionError {
  override name = 'BecomeError'
  constructor(readonly host: string, message: string) {
    super(`${host}: ${message}`)
  }
}

/** A fact command that failed or printed something its parser cannot read. */
export class FactError extends ProvisionError {
  override name = 'FactError'
  constructor(readonly host: string, readonly fact: string, message: string) {
    super(`${host}: fact ${fact}: ${message}`)
  }
}

/** Wrong command-line usage. */
export class UsageError extends ProvisionError {
  override name = 'UsageError'
}
