// Files, directories and fstab lines with exact, idempotent content.
import { put, sh } from '../engine/command.ts'
import { changes, noop, refuse, task, type Change, type Task, type TaskContext, type Value, valueOn } from '../engine/task.ts'
import { fileContent, pathState, type FileContent } from '../facts/files.ts'

/** A directory that exists with the given mode (parents created as needed). */
export function directory(name: string, path: Value<string>, options: { mode?: number; tags?: string[] } = {}): Task {
  const mode = options.mode ?? 0o755
  return task({
    name,
    tags: options.tags,
    facts: (ctx) => ({ state: pathState(valueOn(path, ctx)) }),
    plan: ({ state }, ctx) => {
      const p = valueOn(path, ctx)
      if (state.exists && state.type !== 'directory') return refuse(`${p} exists and is a ${state.type}, not a directory`)
      if (!state.exists) return changes({ summary: `create ${p}`, commands: [sh`mkdir -p -m ${mode.toString(8)} -- ${p}`] })
      if (state.mode !== mode) return changes({ summary: `chmod ${mode.toString(8)} ${p}`, commands: [sh`chmod ${mode.toString(8)} -- ${p}`] })
      return noop(`${p} exists`)
    },
  })
}

/** A file with exact content and mode; `secret` keeps the content out of diffs and reports. */
export function file(
  name: string,
  path: Value<string>,
  content: (ctx: TaskContext) => string,
  options: { mode?: number; tags?: string[]; notify?: string[]; secret?: boolean } = {},
): Task {
  const mode = options.mode ?? 0o644
  return task({
    name,
    tags: options.tags,
    notify: options.notify,
    facts: (ctx) => ({ current: fileContent(valueOn(path, ctx)) }),
    plan: ({ current }, ctx) => {
      const p = valueOn(path, ctx)
      const c = fileChange(p, current, content(ctx), { mode, secret: options.secret })
      return c ? changes(c) : noop(`${p} up to date`)
    },
  })
}

/** The change that gives `path` exactly `wanted` with `mode`, or false when `current` already is that. */
export function fileChange(path: string, current: FileContent, wanted: string, options: { mode: number; secret?: boolean }): Change | false {
  const { mode, secret } = options
  if (current.exists && current.content === wanted && current.mode === mode) return false
  return {
    summary: current.exists ? (current.content === wanted ? `chmod ${mode.toString(8)} ${path}` : `update ${path}`) : `create ${path}`,
    commands: [put(path, wanted, { mode, secret })],
    diff: secret ? undefined : { path, before: current.content, after: wanted },
  }
}

/** Escape a field for /etc/fstab (spaces and tabs as octal). */
export function fstabField(value: string): string {
  return value.replace(/\\/g, '\\134').replace(/ /g, '\\040').replace(/\t/g, '\\011').replace(/\n/g, '\\012')
}

/** The fstab text with exactly one line for `mountPoint`, equal to `line`. */
export function withFstabLine(fstab: string, mountPoint: string, line: string): string {
  const target = fstabField(mountPoint)
  const lines = fstab.split('\n')
  if (lines.at(-1) === '') lines.pop()
  const kept: string[] = []
  let placed = false
  for (const l of lines) {
    const fields = l.trim().split(/\s+/)
    if (!l.trim().startsWith('#') && fields[1] === target) {
      if (!placed) kept.push(line)
      placed = true
    } else kept.push(l)
  }
  if (!placed) kept.push(line)
  return kept.join('\n') + '\n'
}

/** A persistent mount in /etc/fstab: one line for the mount point, other lines untouched. */
export function fstabEntry(
  name: string,
  entry: (ctx: TaskContext) => { source: string; mountPoint: string; fstype: string; options: string[] },
  options: { tags?: string[]; notify?: string[] } = {},
): Task {
  return task({
    name,
    tags: options.tags,
    notify: options.notify,
    facts: () => ({ fstab: fileContent('/etc/fstab') }),
    plan: ({ fstab }, ctx) => {
      const e = entry(ctx)
      const line = [fstabField(e.source), fstabField(e.mountPoint), e.fstype, e.options.join(','), '0', '0'].join(' ')
      const wanted = withFstabLine(fstab.content, e.mountPoint, line)
      if (wanted === fstab.content) return noop(`${e.mountPoint} in /etc/fstab`)
      return changes({
        summary: `set ${e.mountPoint} in /etc/fstab`,
        commands: [put('/etc/fstab', wanted, { mode: 0o644 }), sh`systemctl daemon-reload`],
        diff: { path: '/etc/fstab', before: fstab.content, after: wanted },
      })
    },
  })
}
