// One result shape for every command, failed or not.

export interface Result {
  host: string
  /** the command as shown to users (secrets masked) */
  command: string
  exitCode: number
  stdout: string
  stderr: string
  durationMs: number
}

/** True when the command exited 0. */
export function succeeded(result: Result): boolean {
  return result.exitCode === 0
}

/** A short one-line reason for a failed command, for reports. */
export function failureReason(result: Result): string {
  const text = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-3).join(' | ')
  return `exit ${result.exitCode}${text ? `: ${text}` : ''} (${result.command})`
}
