// Kernel settings the appliance needs, kept in /etc/sysctl.d and applied to the running kernel.
import { sh } from '../engine/command.ts'
import { change, changesOr, task, type Task } from '../engine/task.ts'
import { fileContent } from '../facts/files.ts'
import { sysctlValues } from '../facts/sysctl.ts'
import { fileChange } from './files.ts'

export const SYSCTL_FILE = '/etc/sysctl.d/60-gfs-writecache.conf'

/**
 * SYN retries for connects: 3 instead of the kernel's 6. A gluster client that lost a brick
 * reconnects by one connect() at a time, each retried until its SYN retries run out. With 6, the
 * retries of an attempt made while the link is cut end up 32 and 64 s apart (the attempt gives up
 * after about 130 s), so the link coming back is noticed up to a minute later. With 3 an attempt
 * gives up after 15 s (19 s with the linear SYN timeouts of kernel 6.5+), the next starts 3 s
 * later, and no two SYNs are more than 8 s apart. Host-wide: a connect to a peer that does not
 * answer at all fails after 15-19 s instead of about 2 minutes.
 */
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
