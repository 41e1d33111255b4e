// Fact values as the parsers return them, for task cases.
import type { FileContent, FileState } from '../../src/facts/files.ts'
import type { BrickStatus, HealSummary, Peer, VolumeInfo } from '../../src/facts/gluster.ts'
import type { Mount } from '../../src/facts/mounts.ts'
import type { UnitState } from '../../src/facts/systemd.ts'

export const peer = (hostname: string, state = 'Peer in Cluster', connected = true, otherNames: string[] = []): Peer => ({
  uuid: 'u',
  hostname,
  otherNames,
  connected,
  state,
})

export const volumeId = 'ebf735b5-2ac3-46f3-909a-efdb5f1f41ce'

export const volume = (overrides: Partial<VolumeInfo> = {}): VolumeInfo => ({
  name: 'gv0',
  id: volumeId,
  started: true,
  replicaCount: 2,
  arbiterCount: 0,
  typeStr: 'Replicate',
  bricks: [
    { host: 'hydra', path: '/data/brick1/gv0', arbiter: false },
    { host: 'plexus', path: '/data/brick1/gv0', arbiter: false },
  ],
  options: {},
  ...overrides,
})

export const mount = (target: string, fstype: string, source = 'src', options: string[] = []): Mount => ({ target, fstype, source, options })

export const unit = (active: string, overrides: Partial<UnitState> = {}): UnitState => ({
  name: 'u',
  loaded: true,
  active,
  sub: '',
  enabled: 'enabled',
  fragmentPath: '',
  needsReload: false,
  ...overrides,
})

/** A file's content fact: undefined content is a missing file. */
export const file = (content?: string, mode = 0o644): FileContent =>
  content === undefined ? { exists: false, content: '', mode: 0 } : { exists: true, content, mode }

export const missingPath: FileState = { exists: false, type: 'missing', mode: 0, owner: '', group: '' }
export const dir = (mode = 0o755, overrides: Partial<FileState> = {}): FileState => ({ exists: true, type: 'directory', mode, owner: 'root', group: 'root', ...overrides })

export const heal = (pending: number, splitBrain = 0, connected = true): HealSummary[] => [
  { brick: 'hydra:/data/brick1/gv0', connected, pending, splitBrain, possiblyHealing: 0 },
]

export const brickStatus = (plexusOnline: boolean): BrickStatus[] => [
  { host: 'hydra', path: '/data/brick1/gv0', online: true, pid: 1 },
  { host: 'plexus', path: '/data/brick1/gv0', online: plexusOnline, pid: plexusOnline ? 2 : null },
]
