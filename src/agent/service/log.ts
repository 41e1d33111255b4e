// Daemon log lines on stderr with sd-daemon priority prefixes (journald adds the time and reads `<N>`,
// so `journalctl -p warning` finds the agent's warnings); tests pass their own sink.
import { fstatSync } from 'node:fs'

export type Priority = 'err' | 'warning' | 'notice' | 'info'

export type Log = (line: string, priority?: Priority) => void

/** syslog(3) numbers, as sd-daemon(3) prefixes want them. */
export const priorities: Record<Priority, number> = { err: 3, warning: 4, notice: 5, info: 6 }

/** One line per event, each line of a multi-line message prefixed (journald splits at newlines). */
export function prefixLines(line: string, priority: Priority = 'info'): string {
  return line
    .split('\n')
    .map((l) => `<${priorities[priority]}>${l}`)
    .join('\n')
}

/** Whether stderr is systemd's journal stream (systemd.exec(5), $JOURNAL_STREAM), not a terminal or file. */
function stderrIsJournal(): boolean {
  const stream = process.env.JOURNAL_STREAM
  if (!stream) return false
  try {
    const st = fstatSync(2)
    return stream === `${st.dev}:${st.ino}`
  } catch {
    return false
  }
}

const toJournal = stderrIsJournal()

/** Default sink: stderr, prefixed only when journald reads it. */
export const stderrLog: Log = (line, priority) => {
  process.stderr.write(`${toJournal ? prefixLines(line, priority) : line}\n`)
}
