// Become root with sudo when the SSH user is not root. The password, when there is one, is the first line
// of the command's input; the wrapper reads that line itself and hands it to sudo through an askpass
// helper, so the rest of the input reaches the command untouched whether sudo asks or not (NOPASSWD, or
// credentials cached from before: -k makes sudo ask every time it needs a password).
import type { Host } from '../inventory/types.ts'
import { sh, type ExecCommand } from './command.ts'
import { BecomeError } from './errors.ts'
import type { Executor } from './executor.ts'
import { quote } from './quote.ts'

/** The askpass helper: prints the password sudo passed it in the environment (never on disk, never in argv). */
const askpass = `#!/bin/sh\nprintf '%s\\n' "$GFS_BECOME_PASSWORD"\n`

/** The script and input to send for `command` on `host`: as it is for root, wrapped in sudo otherwise. */
export function becomeScript(host: Pick<Host, 'become' | 'becomePassword'>, command: ExecCommand): { script: string; stdin?: string | Buffer } {
  if (!host.become) return { script: command.script, stdin: command.stdin }
  const run = `-- sh -c ${quote(command.script)}`
  if (!host.becomePassword) return { script: `sudo -n ${run}`, stdin: command.stdin }
  const script = [
    `IFS= read -r gfs_become_password || exit 1`,
    `a=$(mktemp) || exit 1`,
    `trap 'rm -f "$a"' EXIT`,
    `printf '%s' ${quote(askpass)} > "$a" && chmod 700 "$a" || exit 1`,
    `GFS_BECOME_PASSWORD=$gfs_become_password SUDO_ASKPASS=$a sudo -A -k -p '' ${run}`,
  ].join('\n')
  return { script, stdin: Buffer.concat([Buffer.from(`${host.becomePassword.value}\n`), Buffer.from(command.stdin ?? '')]) }
}

/**
 * Check once, right after login, that sudo makes this user root; otherwise every fact would come back as a
 * failed command and be read as "missing" (a data disk "not mounted"). Throws BecomeError with sudo's words.
 */
export async function checkBecome(executor: Executor, host: Pick<Host, 'name' | 'user' | 'become' | 'becomePassword'>): Promise<void> {
  if (!host.become) return
  const r = await executor.run(sh`id -u`)
  if (r.exitCode === 0 && r.stdout.trim() === '0') return
  const said = (r.stderr.trim() || r.stdout.trim()).split('\n').filter(Boolean).slice(-2).join(' | ') || `exit ${r.exitCode}`
  const what = host.becomePassword
    ? `check ansible_become_password, and that ${host.user} may run commands as root (a line in /etc/sudoers.d)`
    : `allow ${host.user} to run commands as root with sudo (a line in /etc/sudoers.d), or set ansible_become_password if sudo asks for one`
  throw new BecomeError(host.name, `logged in as ${host.user}, but sudo did not make it root (${said}): ${what}`)
}
