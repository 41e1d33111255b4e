// Every gluster CLI call of facts and tasks goes through here. glusterd refuses a command while another
// node's command holds the cluster lock ("Another transaction is in progress", errno 30802, or "Locking
// failed on HOST", errno 30800), and two hosts gathering facts at once meet that often. Such an answer
// is no answer: read as data it says "no bricks online". So the call is made again, after a random pause
// so that two hosts retrying do not meet again, for up to about a minute.
import { fromShell, type ExecCommand } from '../engine/command.ts'
import { shell, type ShellArg, type ShellText } from '../engine/quote.ts'

/** Phrases of gluster's answer when the cluster lock is held elsewhere (XML and plain output alike). */
export const lockRefusals = ['Another transaction is in progress', 'Locking failed on'] as const

const attempts = 40

/** The shell function `gfs_gluster ARGS...`: `gluster --mode=script ARGS...` asked again while the lock is busy. */
const definition =
  `gfs_gluster() { n=0; e=$(mktemp); while :; do out=$(gluster --mode=script "$@" 2>"$e"); rc=$?; ` +
  `case "$out $(cat "$e")" in ${lockRefusals.map((p) => `*'${p}'*`).join('|')}) n=$((n+1)); ` +
  `if [ $n -lt "\${GFS_GLUSTER_ATTEMPTS:-${attempts}}" ]; then sleep "$(awk -v s="$(date +%N)" 'BEGIN { srand(s); printf "%.2f", 0.3 + rand() * 1.7 }')"; continue; fi;; esac; break; done; ` +
  `[ -z "$out" ] || printf '%s\\n' "$out"; cat "$e" >&2; rm -f "$e"; return $rc; }`

/**
 * A gluster CLI command: gluster`volume start ${volume} force` runs `gluster --mode=script volume start gv0
 * force`, asked again while another host holds the cluster lock. Shown as the plain command.
 */
export function gluster(strings: TemplateStringsArray, ...values: ShellArg[]): ExecCommand {
  const args = shell(strings, ...values)
  return fromShell({ script: `${definition}; gfs_gluster ${args.script}`, display: `gluster --mode=script ${args.display}` })
}

/** A script that calls `gfs_gluster` (loops, pipes): run with the function defined, shown with the plain command. */
export function glusterScript(text: ShellText): ExecCommand {
  return fromShell({ script: `${definition}; ${text.script}`, display: text.display.replaceAll('gfs_gluster', 'gluster --mode=script') })
}

/** Whether gluster's answer is a refusal because the cluster lock was busy (after every retry). */
export function isLockRefusal(text: string): boolean {
  return lockRefusals.some((p) => text.includes(p))
}
