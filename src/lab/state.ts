// What the lab was asked for (flavor, arbiter, intruder, shape, link) and by which checkout, kept so repairs re-apply it.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { labRoot } from './paths.ts'
import type { Flavor } from './rootfs.ts'

export interface Shape {
  rateKbit: number | null
  rttMs: number
}

export interface LabState {
  flavor: Flavor
  intruder: boolean
  /** absent in a state written before the arbiter existed: false */
  arbiter?: boolean
  shape: Shape
  link: 'up' | 'down'
  /**
   * The checkout that brought the lab up. Its hosts trust that checkout's CA (inventory/lab*-ca), which
   * another checkout does not have. Absent in a state written before it was kept.
   */
  checkout?: string
}

const statePath = join(labRoot, 'state.json')

/** The last requested lab state, or undefined when the lab was never brought up (or was torn down). */
export function readState(): LabState | undefined {
  if (!existsSync(statePath)) return undefined
  try {
    return JSON.parse(readFileSync(statePath, 'utf8')) as LabState
  } catch {
    return undefined
  }
}

/** Records the requested state; written before acting so an interrupted command can be repaired. */
export function writeState(state: LabState): void {
  mkdirSync(labRoot, { recursive: true })
  writeFileSync(statePath, JSON.stringify(state, null, 2) + '\n')
}

/** Forgets the lab's state on `down`. */
export function clearState(): void {
  rmSync(statePath, { force: true })
}
