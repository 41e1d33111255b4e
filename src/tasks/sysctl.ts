// Kernel settings the appliance needs, kept in /etc/sysctl.d and applied to the running kernel.
import { sh } from '../engine/command.ts'
import { change, changesOr, task, type Task } from '../engine/task.ts'
import { fileContent } from '../facts/files.ts'
import { sysctlValues } from '../facts/sysctl.ts'
import { fileChange } from './files.ts'

export const SYSCTL_FILE = '/etc/sysctl.d/60-gfs-writecache.conf'

/** SYN retries 3 instead of 6: a gluster client notices a returning link within seconds (docs/rationale.md, "SYN retries"). */
export const wantedSysctls: Record<string, string> = {
  'net.ipv4.tcp_syn_retries': '3',
}

export function sysctlFile(settings: Record<string, string> = wantedSysctls): string {
  return (
    '# gfs-writecache: see src/tasks/sysctl.ts\n' +
    Object.entries(settings)
      .map(([k, v]) => `${k} = ${v}\n`)
      .join('')
  )
}

/** The appliance's sysctls: the file in /etc/sysctl.d (for boots) and the running values. */
export function sysctlsApplied(settings: Record<string, string> = wantedSysctls): Task {
  const keys = Object.keys(settings)
  return task({
    name: 'kernel settings (sysctl)',
    tags: ['gluster'],
    facts: () => ({ file: fileContent(SYSCTL_FILE), live: sysctlValues(keys) }),
    plan: ({ file, live }) => {
      const wanted = sysctlFile(settings)
      const differing = keys.filter((k) => live[k] !== settings[k])
      return changesOr(
        `${keys.length} sysctl(s) as wanted`,
        fileChange(SYSCTL_FILE, file, wanted, { mode: 0o644 }),
        ...differing.map((k) => change(`set ${k} = ${settings[k]} (was ${live[k] ?? 'unknown'})`, sh`sysctl -w ${`${k}=${settings[k]}`}`)),
      )
    },
  })
}
