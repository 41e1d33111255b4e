// Daemon log lines on stderr (journald adds the time); tests pass their own sink.
export type Log = (line: string) => void

/** Default sink: one line per event on stderr. */
export const stderrLog: Log = (line) => {
  process.stderr.write(`${line}\n`)
}
