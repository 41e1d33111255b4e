// --limit and --tags as Ansible reads them: host patterns (names, groups, globs, ~regex, !exclusions,
// &intersections, @file) and tags checked against the playbook's own, so a typo never selects nothing.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { UsageError } from '../engine/errors.ts'
import type { Playbook } from '../engine/task.ts'
import type { Host } from '../inventory/types.ts'
import { didYouMean } from '../inventory/suggest.ts'

export interface LimitContext {
  /** hosts of the inventory that are not part of the appliance, named in errors */
  ignored?: string[]
  cwd?: string
}

/** Split a limit as Ansible does: commas, and `@file` read one pattern per line. */
export function limitPatterns(limit: string[], cwd = process.cwd()): string[] {
  return limit.flatMap((pattern) => {
    if (!pattern.startsWith('@')) return [pattern]
    const file = resolve(cwd, pattern.slice(1))
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (error) {
      throw new UsageError(`--limit ${pattern}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? error})`)
    }
    return text.split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'))
  })
}

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`)
}

function matches(pattern: string, host: Host): boolean {
  if (pattern === 'all' || pattern === '*') return true
  if (pattern.startsWith('~')) return new RegExp(pattern.slice(1)).test(host.name)
  if (/[*?]/.test(pattern)) {
    const re = globToRegExp(pattern)
    return re.test(host.name) || host.groups.some((group) => re.test(group))
  }
  return host.name === pattern || host.address === pattern || host.groups.includes(pattern)
}

/** The hosts a --limit selects, in inventory order; a pattern naming nothing, or an empty selection, is an error. */
export function limitHosts(hosts: Host[], limit?: string[], context: LimitContext = {}): Host[] {
  if (!limit) return hosts
  const patterns = limitPatterns(limit, context.cwd)
  if (!patterns.length) throw new UsageError('--limit selects no host: it is empty (leave --limit out to run on every host)')
  const names = [...hosts.map((h) => h.name), ...new Set(hosts.flatMap((h) => h.groups))]
  for (const raw of patterns) {
    const pattern = raw.replace(/^[!&]/, '')
    if (pattern.startsWith('~') || /[*?]/.test(pattern) || pattern === 'all') continue
    if (hosts.some((host) => matches(pattern, host))) continue
    if (context.ignored?.includes(pattern)) throw new UsageError(`--limit ${raw}: ${pattern} is in the inventory but not part of the appliance (not in gfs_storage or gfs_arbiter)`)
    throw new UsageError(`--limit ${raw}: no host or group ${pattern}${didYouMean(pattern, names)}; the appliance has ${hosts.map((h) => h.name).join(', ')}`)
  }
  const positive = patterns.filter((p) => !p.startsWith('!') && !p.startsWith('&'))
  const required = patterns.filter((p) => p.startsWith('&')).map((p) => p.slice(1))
  const excluded = patterns.filter((p) => p.startsWith('!')).map((p) => p.slice(1))
  const selected = hosts.filter(
    (host) =>
      (positive.length === 0 || positive.some((p) => matches(p, host))) &&
      required.every((p) => matches(p, host)) &&
      !excluded.some((p) => matches(p, host)),
  )
  if (!selected.length) throw new UsageError(`--limit ${limit.join(',')} matches no host; the appliance has ${hosts.map((h) => h.name).join(', ')}`)
  return selected
}

// Ansible's special tags: always accepted.
const specialTags = ['all', 'always', 'never', 'tagged', 'untagged']

/** Every tag the playbook's tasks and handlers carry, sorted. */
export function playbookTags(playbook: Playbook): string[] {
  const tasks = [...playbook.tasks, ...(playbook.handlers ?? []).map((h) => h.task)]
  return [...new Set(tasks.flatMap((task) => task.tags ?? []))].sort()
}

/** An unknown tag (given to --tags or --skip-tags) is an error naming the nearest known one. */
export function checkTags(playbook: Playbook, option: string, tags?: string[]): void {
  if (!tags) return
  if (!tags.length) throw new UsageError(`${option} is empty: name at least one tag (${playbookTags(playbook).join(', ')})`)
  const known = playbookTags(playbook)
  for (const tag of tags) {
    if (known.includes(tag) || specialTags.includes(tag)) continue
    throw new UsageError(`${option} ${tag}: the ${playbook.name} playbook has no such tag${didYouMean(tag, known)}; its tags: ${known.join(', ') || 'none'}`)
  }
}
