// systemd units: enabled, running.
import { sh } from '../engine/command.ts'
import { change, changesOr, task, type Task, type Value, valueOn } from '../engine/task.ts'
import { unitState } from '../facts/systemd.ts'
import { startUnit } from './unit-start.ts'


/** A service enabled (or not) and started (or stopped). */
export function service(
  unit: Value<string>,
  want: { enabled?: boolean; started?: boolean },
  options: { name?: string; tags?: string[] } = {},
): Task {
  return task({
    name: options.name ?? `service ${typeof unit === 'string' ? unit : ''}`.trim(),
    tags: options.tags,
    facts: (ctx) => ({ state: unitState(valueOn(unit, ctx)) }),
    plan: ({ state }, ctx) => {
      const name = valueOn(unit, ctx)
      if (!state.loaded) return { refuse: `unit ${name} is not installed (LoadState is not loaded)` }
      const enabledNow = state.enabled === 'enabled' || state.enabled === 'enabled-runtime' || state.enabled === 'static' || state.enabled === 'generated'
      const activeNow = state.active === 'active' || state.active === 'activating' || state.active === 'reloading'
      return changesOr(
        `${name} ${state.active}, ${state.enabled}`,
        want.enabled === true && !enabledNow && change(`enable ${name}`, sh`systemctl enable ${name}`),
        want.enabled === false && state.enabled === 'enabled' && change(`disable ${name}`, sh`systemctl disable ${name}`),
        // a failed unit may have hit its start limit: reset-failed lets the start through
        want.started === true &&
          !activeNow &&
          change(`start ${name} (was ${state.active})`, startUnit(name, { resetFirst: state.active === 'failed' })),
        want.started === false && activeNow && change(`stop ${name}`, sh`systemctl stop ${name}`),
      )
    },
  })
}
