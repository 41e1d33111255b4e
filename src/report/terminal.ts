// Ansible-like terminal output: a header per task, a line per host, and a PLAY RECAP.
import chalk from 'chalk'
import { structuredPatch } from 'diff'
import type { EngineEvent, Sink, TaskStatus } from '../engine/events.ts'

export interface TerminalOptions {
  verbose?: boolean
  /** show why ok tasks are ok (health checks) */
  showReasons?: boolean
  write?(text: string): void
  /** progress rewrites one line in place (default: when stdout is a terminal) */
  live?: boolean
}

const paint: Record<TaskStatus, (s: string) => string> = {
  ok: chalk.green,
  changed: chalk.yellow,
  failed: chalk.red,
  skipped: chalk.cyan,
  unreachable: chalk.red,
}

function header(text: string): string {
  const line = `${text} `
  return `\n${line}${'*'.repeat(Math.max(3, 78 - line.length))}`
}

/** A unified diff with 3 lines of context, as `diff -u` prints it (reordered and duplicate lines show too). */
export function formatDiff(diff: { path: string; before: string; after: string }): string[] {
  const patch = structuredPatch(diff.path, diff.path, diff.before, diff.after, 'before', 'after', { context: 3 })
  const out = [chalk.bold(`--- ${diff.path}\tbefore`), chalk.bold(`+++ ${diff.path}\tafter`)]
  for (const hunk of patch.hunks) {
    out.push(chalk.cyan(`@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`))
    for (const line of hunk.lines) out.push(line.startsWith('-') ? chalk.red(line) : line.startsWith('+') ? chalk.green(line) : line)
  }
  return out
}

/** Format one event as terminal lines (empty when the event is not shown at this verbosity). */
export function formatEvent(event: EngineEvent, verbose = false, showReasons = verbose): string[] {
  switch (event.type) {
    case 'play:start':
      return [header(`PLAY [${event.playbook}] on ${event.hosts.join(', ')}${event.check ? ' (check mode)' : ''}`)]
    case 'task:start':
      return [header(`${event.handler ? 'RUNNING HANDLER' : 'TASK'} [${event.task}]`)]
    case 'cmd':
      if (!verbose && event.exitCode === 0) return []
      return [chalk.gray(`  ${event.host}: $ ${event.command} -> ${event.exitCode} (${event.durationMs} ms)`)]
    case 'progress':
      return [chalk.gray(`  ${event.host}: ${event.message}`)]
    case 'task:end': {
      const status = event.status === 'unreachable' ? 'UNREACHABLE!' : event.status
      const detail = event.message && (event.status !== 'ok' || showReasons) ? `: ${event.message}` : ''
      const lines = [paint[event.status](`${status}: [${event.host}]${detail}`)]
      if (event.status === 'changed') for (const c of event.changes ?? []) lines.push(chalk.yellow(`  - ${c}`))
      if (event.warning) lines.push(chalk.magenta(`  [WARNING]: ${event.warning}`))
      for (const d of event.diffs ?? []) lines.push(...formatDiff(d))
      return lines
    }
    case 'recap': {
      const lines = [header('PLAY RECAP')]
      const width = Math.max(...Object.keys(event.hosts).map((h) => h.length), 4) + 2
      for (const [host, t] of Object.entries(event.hosts)) {
        const bad = t.failed > 0 || t.unreachable
        lines.push(
          `${(bad ? chalk.red : chalk.green)(host.padEnd(width))}: ` +
            `${chalk.green(`ok=${t.ok}`)}  ${chalk.yellow(`changed=${t.changed}`)}  ` +
            `${(t.unreachable ? chalk.red : (s: string) => s)(`unreachable=${t.unreachable ? 1 : 0}`)}  ` +
            `${(t.failed ? chalk.red : (s: string) => s)(`failed=${t.failed}`)}  ${chalk.cyan(`skipped=${t.skipped}`)}`,
        )
      }
      lines.push(chalk.gray(`finished in ${(event.durationMs / 1000).toFixed(1)} s`))
      return lines
    }
  }
}

/** A sink that prints events for people. */
export function terminalSink(options: TerminalOptions = {}): Sink {
  const write = options.write ?? ((text: string) => process.stdout.write(text))
  const live = options.live ?? (!options.write && !!process.stdout.isTTY)
  let progressShown = false
  return (event) => {
    const lines = formatEvent(event, options.verbose, options.showReasons || options.verbose)
    if (!lines.length) return
    // a long wait (heals) updates one line instead of printing a line per try
    const clear = progressShown ? '\r\x1b[K' : ''
    progressShown = live && event.type === 'progress'
    write(progressShown ? `${clear}${lines.join(' ')}` : `${clear}${lines.join('\n')}\n`)
  }
}
