// Keeps secret values out of every report, whatever a failing command printed.
import type { EngineEvent, Sink } from '../engine/events.ts'

function scrub(value: unknown, secrets: string[]): unknown {
  if (typeof value === 'string') return secrets.reduce((text, s) => text.split(s).join('***'), value)
  if (Array.isArray(value)) return value.map((v) => scrub(v, secrets))
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v, secrets)]))
  return value
}

/** Wrap a sink so that no event carries any of the given secret strings. */
export function maskSecrets(sink: Sink, secrets: string[]): Sink {
  const active = secrets.filter((s) => s.length >= 3).sort((a, b) => b.length - a.length)
  if (active.length === 0) return sink
  return (event) => sink(scrub(event, active) as EngineEvent)
}
