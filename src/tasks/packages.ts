// Debian packages present: install only what is missing.
import { sh } from '../engine/command.ts'
import { change, changes, noop, task, type Task, type TaskContext } from '../engine/task.ts'
import { installedPackages } from '../facts/packages.ts'

/** Install the missing ones of `names` with apt-get (non-interactive, no recommends). */
export function packages(name: string, names: string[] | ((ctx: TaskContext) => string[]), tags: string[] = ['packages']): Task {
  const resolve = (ctx: TaskContext) => (typeof names === 'function' ? names(ctx) : names)
  return task({
    name,
    tags,
    facts: (ctx) => ({ installed: installedPackages(resolve(ctx)) }),
    plan: ({ installed }, ctx) => {
      const missing = resolve(ctx).filter((n) => !installed.has(n))
      if (missing.length === 0) return noop(`installed: ${resolve(ctx).join(', ')}`)
      return changes(
        change(
          `install ${missing.join(', ')}`,
          sh`export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-confold ${missing}`,
        ),
      )
    },
  })
}
