// Debian packages present: install only what is missing.
import { sh } from '../engine/command.ts'
import { raw } from '../engine/quote.ts'
import { change, changes, noop, task, type Task, type TaskContext } from '../engine/task.ts'
import { installedPackages } from '../facts/packages.ts'

/**
 * Shell text: refresh the package lists, waiting while another apt (apt-daily at boot, a user) holds
 * the lock rather than failing; any other error fails at once.
 */
export const aptWaitingForLocks = raw(
  'export DEBIAN_FRONTEND=noninteractive; n=0; ' +
    'until out=$(apt-get update -qq 2>&1); do case "$out" in ' +
    '*"Could not get lock"*|*"Unable to lock"*) n=$((n+1)); [ $n -lt 300 ] || { echo "$out" >&2; exit 100; }; sleep 2;; ' +
    '*) echo "$out" >&2; exit 100;; esac; done',
)

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
          {
            ...sh`${aptWaitingForLocks}; apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confold ${missing}`,
            progress: true,
          },
        ),
      )
    },
  })
}
