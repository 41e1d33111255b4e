// Which Debian packages are installed, from dpkg-query.
import { sh } from '../engine/command.ts'
import type { Result } from '../engine/result.ts'
import { fact } from '../engine/task.ts'

/** Parse `dpkg-query -W -f '${Package}\t${db:Status-Status}\t${Version}\n'` into installed name -> version. */
export function parseDpkgQuery(result: Result): Map<string, string> {
  const installed = new Map<string, string>()
  for (const line of result.stdout.split('\n')) {
    const [name, status, version] = line.split('\t')
    if (name && status === 'installed') installed.set(name.split(':')[0]!, version ?? '')
  }
  return installed
}

/** The installed subset of the given packages (dpkg-query exits 1 when some are unknown: that is fine). */
export const installedPackages = (names: string[]) =>
  fact(
    'installed packages',
    sh`dpkg-query -W -f '\${Package}\t\${db:Status-Status}\t\${Version}\n' ${names} 2>/dev/null; true`,
    parseDpkgQuery,
  )
