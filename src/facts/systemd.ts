// The state of systemd units, from `systemctl show`.
import { sh } from '../engine/command.ts'
import type { Result } from '../engine/result.ts'
import { fact } from '../engine/task.ts'

export interface UnitState {
  name: string
  loaded: boolean
  active: string
  sub: string
  enabled: string
  fragmentPath: string
  needsReload: boolean
}

/** Parse `systemctl show -p ... UNIT...` (blocks separated by blank lines, in argument order). */
export function parseUnitStates(result: Result, names: string[]): UnitState[] {
  const blocks = result.stdout.split(/\n\n+/).filter((b) => b.trim())
  if (blocks.length !== names.length || blocks.some((b) => !/^LoadState=/m.test(b)))
    throw new Error(`incomplete answer from systemctl show (${blocks.length} of ${names.length} units)`)
  return names.map((name, i) => {
    const props = Object.fromEntries(
      (blocks[i] ?? '')
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const)
        .filter(([k]) => k),
    )
    return {
      name,
      loaded: props.LoadState === 'loaded',
      active: props.ActiveState ?? 'unknown',
      sub: props.SubState ?? 'unknown',
      enabled: props.UnitFileState ?? '',
      fragmentPath: props.FragmentPath ?? '',
      needsReload: props.NeedDaemonReload === 'yes',
    }
  })
}

/** Load, active and enablement state of units. */
export const unitStates = (names: string[]) =>
  fact(
    `units ${names.join(' ')}`,
    sh`systemctl show -p LoadState,ActiveState,SubState,UnitFileState,FragmentPath,NeedDaemonReload -- ${names}`,
    (r) => {
      if (r.exitCode !== 0) throw new Error(`systemctl show failed: ${r.stderr.trim()}`)
      return parseUnitStates(r, names)
    },
  )

/** One unit's state. */
export const unitState = (name: string) => {
  const all = unitStates([name])
  return fact(`unit ${name}`, all.command, (r) => all.parse(r)[0]!)
}

/**
 * Shell that prints the failed units whose main process never ran because systemd could not attach it to its
 * cgroup (status 219/CGROUP), separated by spaces: a race of systemd under container managers (nspawn, LXC).
 */
export const cgroupFailuresScript =
  "for u in $(systemctl list-units --state=failed --plain --no-legend --no-pager | awk '{print $1}'); do " +
  '[ "$(systemctl show -p ExecMainStatus --value "$u")" = 219 ] && printf \'%s \' "$u"; done'
