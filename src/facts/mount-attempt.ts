// How the last start of a FUSE mount went: the mount unit's state and the client log's last error line,
// so a mount that failed can be tried again with the reason shown.
import { fromShell, sh, type ExecCommand } from '../engine/command.ts'
import { mountedInTable } from './mounts.ts'
import type { Result } from '../engine/result.ts'
import { fact } from '../engine/task.ts'
import { mountUnitName } from '../agent/service/units.ts'
import { commandFailed } from './answer.ts'
import { volumeStatus, type BrickStatus } from './gluster.ts'

export interface MountAttempt {
  /** the mount unit's ActiveState: `failed` after a start that failed */
  active: string
  /** systemd's Result of the last start (`success`, `exit-code`, `timeout`, ...) */
  result: string
  /** the last error line of the gluster client's log for this mount point, if any */
  lastError?: string
}

/** gluster's client log of a mount point: /gfs/gv0 logs to /var/log/glusterfs/gfs-gv0.log. */
export function glusterClientLog(mountPoint: string): string {
  return `/var/log/glusterfs/${mountPoint.replace(/^\/+|\/+$/g, '').replace(/\/+/g, '-')}.log`
}

/** Parse `systemctl show -p ActiveState,Result UNIT` followed by the log's last error line (if any). */
export function parseMountAttempt(result: Result): MountAttempt {
  if (result.exitCode !== 0) throw commandFailed(result)
  const lines = result.stdout.split('\n')
  const prop = (name: string) => lines.find((l) => l.startsWith(`${name}=`))?.slice(name.length + 1)
  const active = prop('ActiveState')
  if (active === undefined) throw new Error(`no ActiveState in the answer of systemctl show: ${result.stdout.trim().slice(0, 200)}`)
  // the client's error lines read `[date time] E [MSGID: n] [file:line:function] xlator: text`
  const error = lines.filter((l) => /^\[[^\]]*\] E \[/.test(l)).at(-1)
  const text = error?.replace(/^\[[^\]]*\] E (\[[^\]]*\] )*/, '').trim()
  return { active, result: prop('Result') ?? '', ...(text ? { lastError: text.slice(0, 300) } : {}) }
}

/** The last start of the mount unit of a path, and the gluster client's last complaint. */
export const mountAttempt = (path: string) =>
  fact(
    `mount attempt ${path}`,
    sh`systemctl show -p ActiveState,Result -- ${mountUnitName(path)} && { tail -n 200 -- ${glusterClientLog(path)} 2>/dev/null | grep -a '^\\[[^]]*\\] E \\[' | tail -n 1; true; }`,
    parseMountAttempt,
  )

const notAsked = 'mounted: volume status not asked'

/**
 * The volume's brick processes, asked only while nothing is mounted at `path` (undefined when mounted):
 * a converged host pays no `gluster volume status`, a cluster-wide call, on every run.
 */
export const volumeStatusUnlessMounted = (volume: string, path: string) => {
  const status = volumeStatus(volume)
  const ask = status.command as ExecCommand
  // from the mount table: mountpoint(1) stats the path, which a gv0 client that hangs never answers
  const test = mountedInTable(path)
  return fact(
    `${status.name} unless ${path} is mounted`,
    fromShell({
      script: `if ${test.script}; then echo '${notAsked}'; else ${ask.script}; fi`,
      display: `if ${test.display}; then echo '${notAsked}'; else ${ask.display}; fi`,
    }),
    (r): BrickStatus[] | undefined => (r.exitCode === 0 && r.stdout.trim() === notAsked ? undefined : status.parse(r)),
  )
}

/** The last start of each path's mount unit, in one command (the agent's drain mounts: many of them). */
export const mountAttempts = (paths: string[]) =>
  fact(
    `mount attempts ${paths.length ? `${paths[0]} ... (${paths.length})` : '(none)'}`,
    sh`for p in ${paths}; do u=$(systemd-escape --path --suffix=mount -- "$p") && printf '@@ %s\\n' "$p" && systemctl show -p ActiveState,Result -- "$u" && { tail -n 200 -- "/var/log/glusterfs/$(printf '%s' "\${p#/}" | tr / -).log" 2>/dev/null | grep -a '^\\[[^]]*\\] E \\[' | tail -n 1; true; } || exit 1; done`,
    (r): Record<string, MountAttempt> => {
      if (r.exitCode !== 0) throw commandFailed(r)
      const out: Record<string, MountAttempt> = {}
      for (const block of r.stdout.split(/^@@ /m).slice(1)) {
        const nl = block.indexOf('\n')
        out[block.slice(0, nl)] = parseMountAttempt({ ...r, stdout: block.slice(nl + 1) })
      }
      return out
    },
  )
