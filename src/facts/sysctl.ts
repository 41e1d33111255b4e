// Kernel settings as the running kernel has them.
import { sh } from '../engine/command.ts'
import type { Result } from '../engine/result.ts'
import { fact } from '../engine/task.ts'
import { commandFailed } from './answer.ts'

/** The running values of these sysctl keys (a key the kernel does not know is left out). */
export const sysctlValues = (keys: string[]) =>
  fact(`sysctl ${keys.join(' ')}`, sh`sysctl -e ${keys}`, parseSysctl)

/** Parse `sysctl -e` lines (`key = value`); -e leaves unknown keys out, so any failure is an error. */
export function parseSysctl(r: Result): Record<string, string> {
  if (r.exitCode !== 0) throw commandFailed(r)
  const values: Record<string, string> = {}
  for (const line of r.stdout.split('\n')) {
    const m = /^(\S+)\s*=\s*(.*?)\s*$/.exec(line)
    if (m) values[m[1]!] = m[2]!
  }
  return values
}
