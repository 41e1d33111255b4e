// Kernel settings as the running kernel has them.
import { sh } from '../engine/command.ts'
import { fact } from '../engine/task.ts'

/** The running values of these sysctl keys (a key the kernel does not know is left out). */
export const sysctlValues = (keys: string[]) =>
  fact(`sysctl ${keys.join(' ')}`, sh`sysctl -e ${keys}`, (r) => {
    const values: Record<string, string> = {}
    for (const line of r.stdout.split('\n')) {
      const m = /^(\S+)\s*=\s*(.*?)\s*$/.exec(line)
      if (m) values[m[1]!] = m[2]!
    }
    return values
  })
