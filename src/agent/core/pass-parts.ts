// What a pass works on (the agent's parts, shared with it) and what it reports.
import type { Bytes } from '../fs/paths.ts'
import type { DentryDrops } from '../publish/no-clobber.ts'
import type { AgentConfig } from '../service/config.ts'
import type { Log } from '../service/log.ts'
import type { StateStore } from '../state/state-store.ts'
import type { WriterSnapshots } from '../watch/fresh-writers.ts'
import type { UpperIndex } from '../watch/scan.ts'
import type { Backoffs } from './backoff.ts'
import type { ErrorRegistry } from './errors.ts'
import type { LaneLeases } from './lanes.ts'
import type { Clock, Observations } from './observations.ts'
import type { PendingView } from './pending.ts'
import type { PublishDurations, PublishRate } from './rate.ts'
import type { Uplink } from '../uplink/uplink.ts'
import type { NameLocks } from '../fs/name-locks.ts'

export interface PassSummary {
  published: number
  bytes: number
  conflicts: number
  deleted: number
  skipped: number
  failed: number
  blocked: string | null
}

/** What a pass works on: the agent's parts, shared with it. */
export interface PassParts {
  cfg: AgentConfig
  log: Log
  upper: Bytes
  lower: Bytes
  state: StateStore
  index: UpperIndex
  obs: Observations
  writers: WriterSnapshots
  clock: Clock
  errors: ErrorRegistry
  backoff: Backoffs
  pending: PendingView
  rate: PublishRate
  /** each dealt publish's duration (the metrics' publish summary) */
  durations: PublishDurations
  drops: DentryDrops
  uplink: Uplink
  /** which drain mount worked on which name lately */
  lanes: LaneLeases
  /** the locks both agents take before changing a name gv0 holds */
  names: NameLocks
}
