// The demo's closing table (the seed blog's): 1 MiB in 1 KiB blocks into gv0 and into the union on the
// lab's shaped link, the speedup, and the drain of what the union took.
import chalk from 'chalk'

export interface DdFigure {
  bytes: number
  seconds: number
}

/** Parses dd's summary line (`1048576 bytes (1.0 MB, 1.0 MiB) copied, 3.6 s, 291 kB/s`). */
export function parseDd(stderr: string): DdFigure {
  const m = /(\d+) bytes .* copied, ([\d.e+-]+) s/.exec(stderr)
  if (!m) throw new Error(`cannot read dd's summary: ${stderr.trim()}`)
  return { bytes: Number(m[1]), seconds: Number(m[2]) }
}

export interface SeedRows {
  link: { kbit: number; rttMs: number }
  gv0: DdFigure
  union: DdFigure
  /** `gfs-writecache flush --wait` after the union's write: wall time, settle time included */
  drainSeconds: number
}

function rate(f: DdFigure): string {
  const perSecond = f.bytes / f.seconds
  return perSecond >= 1e6 ? `${(perSecond / 1e6).toFixed(1)} MB/s` : `${(perSecond / 1e3).toFixed(0)} kB/s`
}

/** The table as plain lines (colour is added by the caller). */
export function formatSeedTable(r: SeedRows, settleSeconds: number): string[] {
  const speedup = r.gv0.seconds / r.union.seconds
  const rows: [string, string, string][] = [
    ['1 MiB in 1 KiB blocks (dd conv=fsync)', 'rate', 'time'],
    ['into /gfs/gv0 (gluster over the WAN)', rate(r.gv0), `${r.gv0.seconds.toFixed(2)} s`],
    ['into /gfs/union (the write cache)', rate(r.union), `${r.union.seconds.toFixed(3)} s`],
    ['speedup', `${speedup >= 10 ? speedup.toFixed(0) : speedup.toFixed(1)}x`, ''],
    [`drain into gv0 (flush --wait, ${settleSeconds} s settle)`, '', `${r.drainSeconds.toFixed(1)} s`],
  ]
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i]!.length)))
  return [
    `link ${r.link.kbit} kbit/s, ${r.link.rttMs} ms RTT (tc tbf and the lab's delay line)`,
    ...rows.map((row) => `  ${row[0].padEnd(widths[0]!)}  ${row[1].padStart(widths[1]!)}  ${row[2].padStart(widths[2]!)}`.trimEnd()),
  ]
}

/** Prints the table with its header row dimmed and the speedup bold. */
export function printSeedTable(r: SeedRows, settleSeconds: number): void {
  const [caption, header, ...rest] = formatSeedTable(r, settleSeconds)
  console.log(chalk.dim(caption))
  console.log(chalk.dim(header))
  for (const line of rest) console.log(line.includes('speedup') ? chalk.bold(line) : line)
}
