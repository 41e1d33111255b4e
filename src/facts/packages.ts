// Which Debian packages are installed, from dpkg-query.
import { sh } from '../engine/command.ts'
import type { Result } from '../engine/result.ts'
import { fact } from '../engine/task.ts'
import { commandFailed } from './answer.ts'

/** Parse `dpkg-query -W -f '${Package}\t${db:Status-Status}\t${Version}\n'` into installed name -> version. */
export function parseDpkgQuery(result: Result): Map<string, string> {
  // dpkg-query exits 1 when some names are unknown to it: those are not installed, that is all
  const unknownOnly = result.exitCode === 1 && result.stderr.split('\n').every((l) => !l.trim() || /^dpkg-query: no packages found matching /.test(l))
  if (result.exitCode !== 0 && !unknownOnly) throw commandFailed(result)
  const installed = new Map<string, string>()
  for (const line of result.stdout.split('\n')) {
    const [name, status, version] = line.split('\t')
    if (name && status === 'installed') installed.set(name.split(':')[0]!, version ?? '')
  }
  return installed
}

/** The installed subset of the given packages. */
export const installedPackages = (names: string[]) =>
  fact('installed packages', sh`LC_ALL=C dpkg-query -W -f '\${Package}\t\${db:Status-Status}\t\${Version}\n' ${names}`, parseDpkgQuery)
