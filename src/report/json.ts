// JSON Lines output for scripts: one event per line, the recap last.
import type { Sink } from '../engine/events.ts'

/** A sink that prints each event as one JSON line; the recap line has exactly the documented shape. */
export function jsonSink(write: (text: string) => void = (t) => process.stdout.write(t)): Sink {
  return (event) => {
    if (event.type === 'recap') {
      write(JSON.stringify({ type: 'recap', hosts: event.hosts, durationMs: event.durationMs }) + '\n')
      return
    }
    write(JSON.stringify(event) + '\n')
  }
}
