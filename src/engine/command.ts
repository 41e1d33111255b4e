// Commands are data: a plan is a list of these, so check mode, diff and tests need no host.
import { shell, type ShellArg, type ShellText } from './quote.ts'

/** Run shell text on the host (through sh -c, with become when configured). */
export interface ExecCommand {
  kind: 'exec'
  script: string
  display: string
  stdin?: string | Buffer
  /** input that must not be shown (passwords, keys) */
  stdinSecret?: boolean
  timeoutMs?: number
  /** a long step: its output lines are reported as progress while it runs */
  progress?: boolean
  /** run on the controller (this machine) instead of the host: the TLS CA lives here */
  controller?: boolean
}

/** Write a whole file atomically (temporary name, then rename). */
export interface PutCommand {
  kind: 'put'
  path: string
  content: string | Buffer
  mode: number
  owner?: string
  /** the content must never be shown */
  secret?: boolean
  display: string
}

export type Command = ExecCommand | PutCommand

/** Build an exec command with every value quoted: sh`systemctl enable ${unit}`. */
export function sh(strings: TemplateStringsArray, ...values: ShellArg[]): ExecCommand {
  return fromShell(shell(strings, ...values))
}

/** Wrap already-quoted shell text as a command. */
export function fromShell(text: ShellText, extra: Partial<ExecCommand> = {}): ExecCommand {
  return { kind: 'exec', script: text.script, display: text.display, ...extra }
}

/** The same command, run on the controller instead of the host (e.g. the CA's openssl). */
export function onController(command: ExecCommand): ExecCommand {
  return { ...command, controller: true }
}

/** A file upload; `secret` keeps its content out of every report. */
export function put(
  path: string,
  content: string | Buffer,
  options: { mode?: number; owner?: string; secret?: boolean } = {},
): PutCommand {
  const mode = options.mode ?? 0o644
  return {
    kind: 'put',
    path,
    content,
    mode,
    owner: options.owner,
    secret: options.secret,
    display: `write ${path} (${Buffer.byteLength(content)} bytes, mode ${mode.toString(8)})`,
  }
}

/** The shell text that performs a put through a plain exec: used by executors without SFTP. */
export function putScript(command: PutCommand): ExecCommand {
  const mode = command.mode.toString(8)
  const owner = command.owner ? shell` && chown ${command.owner} "$tmp"` : { script: '', display: '' }
  const body = shell`set -e; dir=$(dirname ${command.path}); mkdir -p "$dir"; tmp=$(mktemp "$dir/.gfs-put.XXXXXX"); trap 'rm -f "$tmp"' EXIT; cat > "$tmp"; chmod ${mode} "$tmp"`
  const tail = shell`; mv -f "$tmp" ${command.path}; trap - EXIT`
  return {
    kind: 'exec',
    script: body.script + owner.script + tail.script,
    display: command.display,
    stdin: command.content,
    stdinSecret: command.secret,
  }
}
