// Starting a systemd unit from a task. Under a container manager (systemd-nspawn, LXC) systemd sometimes
// fails to move a new process into its unit's cgroup: the unit fails with status 219/CGROUP before its
// own program ran, and every unit that needs it fails with it ("dependency failed"). Nothing of the unit's
// own went wrong, so the start is tried once more after such a failure; any other failure stands.
import { fromShell, type ExecCommand } from '../engine/command.ts'
import { raw, shell } from '../engine/quote.ts'
import { cgroupFailuresScript } from '../facts/systemd.ts'

/**
 * `systemctl start UNIT` (after `reset-failed` when `resetFirst`: a failed unit may have hit its start limit),
 * tried again once when it or a unit it pulled in failed at systemd's cgroup step. Shown as the plain start.
 */
export function startUnit(unit: string, opts: { resetFirst?: boolean } = {}): ExecCommand {
  const reset = opts.resetFirst ? shell`systemctl reset-failed ${unit}; ` : shell``
  const start = shell`systemctl start ${unit}`
  const retry = shell` || { again=$(${raw(cgroupFailuresScript)}); [ -n "$again" ] && echo "started again after systemd failed to attach to a cgroup (219/CGROUP): $again" >&2 && systemctl reset-failed $again && systemctl start ${unit}; }`
  return fromShell({ script: reset.script + start.script + retry.script, display: reset.display + start.display })
}
