// Many read-only fact commands sent to a host as one command, run at once, their output framed by a
// random marker: one round trip instead of one per fact (docs/rationale.md, "Facts read in one round trip").
import { randomBytes } from 'node:crypto'
import type { ExecCommand } from './command.ts'
import type { Result } from './result.ts'

/** The command that runs `commands` as one; executors run its script, the recording fake answers each part. */
export interface BatchCommand extends ExecCommand {
  batch: { marker: string; commands: ExecCommand[] }
}

/** Only commands that read the host can be batched: not on the controller, no input. */
export function batchable(command: ExecCommand): boolean {
  return !command.controller && command.stdin === undefined
}

/** A fresh marker that no command's output contains by chance. */
export function batchMarker(): string {
  return `@@gfs-batch-${randomBytes(12).toString('hex')}`
}

/** POSIX sh text that runs each script and prints `\n<marker> out I RC\n`, its stdout, `\n<marker> err I\n`, its stderr. */
export function batchScript(scripts: readonly string[], marker: string): string {
  const lines = [`d=$(mktemp -d) || exit 70`, `trap 'rm -rf "$d"' EXIT`]
  scripts.forEach((script, i) => {
    lines.push(`{ (\n${script}\n) </dev/null >"$d/${i}.out" 2>"$d/${i}.err"; echo $? >"$d/${i}.rc"; } &`)
  })
  lines.push(
    `wait`,
    `i=0; while [ $i -lt ${scripts.length} ]; do`,
    `  printf '\\n%s out %s %s\\n' '${marker}' $i "$(cat "$d/$i.rc")"; cat "$d/$i.out"`,
    `  printf '\\n%s err %s\\n' '${marker}' $i; cat "$d/$i.err"`,
    `  i=$((i + 1))`,
    `done`,
    `printf '\\n%s end\\n' '${marker}'`,
  )
  return lines.join('\n')
}

/** One command that reads all of `commands`. */
export function batchCommand(commands: ExecCommand[]): BatchCommand {
  const marker = batchMarker()
  return {
    kind: 'exec',
    script: batchScript(commands.map((c) => c.script), marker),
    display: `read ${commands.length} facts: ${commands.map((c) => c.display).join('; ')}`,
    batch: { marker, commands },
  }
}

export interface BatchPart {
  exitCode: number
  stdout: string
  stderr: string
}

/** Split the batch's stdout into one part per script; a part is undefined when its section is incomplete. */
export function parseBatch(stdout: string, marker: string, count: number): (BatchPart | undefined)[] {
  const parts: (BatchPart | undefined)[] = Array.from({ length: count }, () => undefined)
  if (!stdout.endsWith(`\n${marker} end\n`)) return parts
  // every section starts with "\n<marker> ", so splitting on that leaves the output text exactly as printed
  const sections = stdout.split(`\n${marker} `).slice(1)
  for (let k = 0; k + 1 < sections.length; k += 2) {
    const out = /^out (\d+) (\d+)\n/.exec(sections[k]!)
    const err = /^err (\d+)\n/.exec(sections[k + 1]!)
    if (!out || !err || out[1] !== err[1]) continue
    const i = Number(out[1])
    if (i >= count) continue
    parts[i] = { exitCode: Number(out[2]), stdout: sections[k]!.slice(out[0].length), stderr: sections[k + 1]!.slice(err[0].length) }
  }
  return parts
}

/** The batch's output for these parts, exactly as batchScript prints it. */
export function frameParts(parts: readonly BatchPart[], marker: string): string {
  const sections = parts.map((p, i) => `\n${marker} out ${i} ${p.exitCode}\n${p.stdout}\n${marker} err ${i}\n${p.stderr}`)
  return `${sections.join('')}\n${marker} end\n`
}

/** The Result a batched command would have had on its own. */
export function partResult(host: string, command: ExecCommand, part: BatchPart): Result {
  return { host, command: command.display, exitCode: part.exitCode, stdout: part.stdout, stderr: part.stderr, durationMs: 0 }
}
