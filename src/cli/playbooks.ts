// Finds a playbook module by name under playbooks/.
import { existsSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { UsageError } from '../engine/errors.ts'
import type { Playbook } from '../engine/task.ts'

export const playbookDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'playbooks')

type PlaybookLoader = () => Promise<{ default: Playbook }>
let registered: Record<string, PlaybookLoader> | undefined

/** The pre-built CLI (dist/) brings its playbooks along, since it cannot import TypeScript files. */
export function registerPlaybooks(loaders: Record<string, PlaybookLoader>): void {
  registered = loaders
}

/** Names of the playbooks this checkout has. */
export function availablePlaybooks(): string[] {
  if (registered) return Object.keys(registered).sort()
  return readdirSync(playbookDir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.slice(0, -3))
    .sort()
}

/** Import playbooks/NAME.ts; an unknown name lists the ones that exist. */
export async function loadPlaybook(name: string): Promise<Playbook> {
  if (registered) {
    const loader = registered[name]
    if (!loader) throw new UsageError(`no playbook "${name}"; available: ${availablePlaybooks().join(', ')}`)
    return (await loader()).default
  }
  const file = join(playbookDir, `${name}.ts`)
  if (!existsSync(file)) throw new UsageError(`no playbook "${name}"; available: ${availablePlaybooks().join(', ')}`)
  const module = (await import(file)) as { default: Playbook }
  return module.default
}

/** The playbook configured with the command line's switches; a switch it does not take is wrong usage. */
export function withSwitches(playbook: Playbook, switches: Record<string, boolean>): Playbook {
  const given = Object.keys(switches).filter((k) => switches[k])
  const foreign = given.filter((k) => !playbook.switches?.includes(k))
  if (foreign.length)
    throw new UsageError(`${foreign.map((k) => `--${k}`).join(', ')} ${foreign.length > 1 ? 'are not options' : 'is not an option'} of the ${playbook.name} playbook`)
  return given.length && playbook.configure ? playbook.configure(switches) : playbook
}
