// The union's dentries, on a timer of their own: dropped every `dentryDropSeconds`, and within seconds of
// another host's publishes (remote-publishes.ts), whose cue this host's own publishes give as they happen. Not
// in the publish loop: one pass may upload a large file for minutes, and neither the other host's new versions
// nor this host's stamps may wait for it.
import type { RemotePublishes } from './remote-publishes.ts'

export interface UpkeepParts {
  /** `dentryDropSeconds` in ms; 0: no drops, and no reading of the other hosts' stamps */
  intervalMs: number
  remote: RemotePublishes
  /** this process's changes to gv0 so far, the pass under way included (Agent.gv0Changes) */
  changes: () => number
  /** drops the dentries; reports its own errors */
  drop: () => void
}

export class DentryUpkeep {
  private lastDrop = -Infinity

  constructor(private readonly parts: UpkeepParts) {}

  /** One round at `now` (the monotonic clock): stamps, reads the stamps, drops when due. Whether it dropped. */
  tick(now: number): boolean {
    const { intervalMs, remote } = this.parts
    remote.noteChanges(this.parts.changes(), now)
    if (intervalMs <= 0) return false
    remote.poll(now)
    if (!remote.dropCalled(now - this.lastDrop) && now - this.lastDrop < intervalMs) return false
    this.lastDrop = now
    remote.dropped()
    this.parts.drop()
    return true
  }

  /** Runs tick() every `everyMs`, until the returned function, which stamps the last of this host's changes. */
  start(everyMs = 1000): () => Promise<void> {
    const timer = setInterval(() => this.tick(performance.now()), everyMs)
    timer.unref()
    return async () => {
      clearInterval(timer)
      await this.parts.remote.stampNow(this.parts.changes())
    }
  }
}
