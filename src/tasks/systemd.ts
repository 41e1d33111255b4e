// systemd units: unit files in place, enabled, running.
import { put, sh } from '../engine/command.ts'
import { change, changes, changesOr, noop, task, type Task, type TaskContext } from '../engine/task.ts'
import { fileContent } from '../facts/files.ts'
import { unitState } from '../facts/systemd.ts'

type Value<T> = T | ((ctx: TaskContext) => T)
const resolve = <T>(value: Value<T>, ctx: TaskContext): T =>
  typeof value === 'function' ? (value as (ctx: TaskContext) => T)(ctx) : value

/** A service enabled (or not) and started (or stopped). */
export function service(
  unit: Value<string>,
  want: { enabled?: boolean; started?: boolean },
  options: { name?: string; tags?: string[] } = {},
): Task {
  return task({
    name: options.name ?? `service ${typeof unit === 'string' ? unit : ''}`.trim(),
    tags: options.tags,
    facts: (ctx) => ({ state: unitState(resolve(unit, ctx)) }),
    plan: ({ state }, ctx) => {
      const name = resolve(unit, ctx)
      if (!state.loaded) return { refuse: `unit ${name} is not installed (LoadState is not loaded)` }
      const enabledNow = state.enabled === 'enabled' || state.enabled === 'enabled-runtime' || state.enabled === 'static' || state.enabled === 'generated'
      const activeNow = state.active === 'active' || state.active === 'activating' || state.active === 'reloading'
      return changesOr(
        `${name} ${state.active}, ${state.enabled}`,
        want.enabled === true && !enabledNow && change(`enable ${name}`, sh`systemctl enable ${name}`),
        want.enabled === false && state.enabled === 'enabled' && change(`disable ${name}`, sh`systemctl disable ${name}`),
        want.started === true && !activeNow && change(`start ${name} (was ${state.active})`, sh`systemctl start ${name}`),
        want.started === false && activeNow && change(`stop ${name}`, sh`systemctl stop ${name}`),
      )
    },
  })
}

/** A unit file with exact content; changes notify `daemon-reload` and any given handlers. */
export function unitFile(
  name: string,
  content: (ctx: TaskContext) => string,
  options: { tags?: string[]; notify?: string[] } = {},
): Task {
  const path = `/etc/systemd/system/${name}`
  return task({
    name: `unit file ${name}`,
    tags: options.tags,
    notify: options.notify,
    facts: () => ({ current: fileContent(path) }),
    plan: ({ current }, ctx) => {
      const wanted = content(ctx)
      if (current.exists && current.content === wanted) return noop(`${path} up to date`)
      return changes({
        summary: `${current.exists ? 'update' : 'create'} ${path}`,
        commands: [put(path, wanted), sh`systemctl daemon-reload`],
        diff: { path, before: current.content, after: wanted },
      })
    },
  })
}
