// Facts about the gluster pool and volume, read from `gluster ... --xml`.
import { joinShell, shell } from '../engine/quote.ts'
import type { Result } from '../engine/result.ts'
import { fact } from '../engine/task.ts'
import { find, findAll, parseXml, textAt, type XmlNode } from './xml.ts'
import { gluster, glusterScript, isLockRefusal } from './gluster-cli.ts'

export interface Peer {
  uuid: string
  hostname: string
  otherNames: string[]
  connected: boolean
  state: string
}

export interface Brick {
  host: string
  path: string
  arbiter: boolean
}

export interface VolumeInfo {
  name: string
  id: string
  started: boolean
  replicaCount: number
  arbiterCount: number
  typeStr: string
  bricks: Brick[]
  options: Record<string, string>
}

export interface BrickStatus {
  host: string
  path: string
  online: boolean
  pid: number | null
}

export interface HealSummary {
  brick: string
  connected: boolean
  pending: number
  splitBrain: number
  possiblyHealing: number
}

/** The document of a gluster XML answer; a failed operation becomes an error with gluster's words. */
export function glusterXml(result: Result, allowErrno: number[] = []): { doc: XmlNode; errno: number } {
  if (result.exitCode !== 0 && !result.stdout.includes('<cliOutput>'))
    throw new Error(`gluster failed (exit ${result.exitCode}): ${(result.stderr || result.stdout).trim()}`)
  const doc = parseXml(result.stdout)
  const opRet = Number(textAt(doc, 'cliOutput/opRet') ?? '0')
  const errno = Number(textAt(doc, 'cliOutput/opErrno') ?? '0')
  const errstr = textAt(doc, 'cliOutput/opErrstr') ?? ''
  // a busy cluster lock shares its errno with real answers (30800 is also "not started"): never data
  if (opRet !== 0 && isLockRefusal(errstr))
    throw new Error(`gluster stayed busy: ${errstr} (another host's gluster command held the cluster lock through every retry)`)
  if (opRet !== 0 && !allowErrno.includes(errno))
    throw new Error(`gluster: ${errstr || `operation failed (errno ${errno})`}`)
  return { doc, errno }
}

/** A brick as gluster names it: `host:/path`. */
export function brickName(brick: { host: string; path: string }): string {
  return `${brick.host}:${brick.path}`
}

/** Parse `gluster peer status --xml`. */
export function parsePeers(result: Result): Peer[] {
  const { doc } = glusterXml(result)
  return findAll(doc, 'cliOutput/peerStatus/peer').map((p) => ({
    uuid: textAt(p, 'uuid') ?? '',
    hostname: textAt(p, 'hostname') ?? '',
    otherNames: findAll(p, 'hostnames/hostname').map((h) => h.text),
    connected: textAt(p, 'connected') === '1',
    state: textAt(p, 'stateStr') ?? '',
  }))
}

/** Volume does not exist: gluster's errno for that case. */
const noSuchVolume = 30806
/** also what a busy cluster lock answers; glusterXml tells the two apart by their text */
const notStarted = 30800

function parseVolume(v: XmlNode): VolumeInfo {
  return {
    name: textAt(v, 'name') ?? '',
    id: textAt(v, 'id') ?? '',
    started: textAt(v, 'statusStr') === 'Started',
    replicaCount: Number(textAt(v, 'replicaCount') ?? '0'),
    arbiterCount: Number(textAt(v, 'arbiterCount') ?? '0'),
    typeStr: textAt(v, 'typeStr') ?? '',
    bricks: findAll(v, 'bricks/brick').map((b) => {
      const name = textAt(b, 'name') ?? ''
      const colon = name.indexOf(':')
      return { host: name.slice(0, colon), path: name.slice(colon + 1), arbiter: textAt(b, 'isArbiter') === '1' }
    }),
    options: Object.fromEntries(findAll(v, 'options/option').map((o) => [textAt(o, 'name') ?? '', textAt(o, 'value') ?? ''])),
  }
}

/** Parse `gluster volume info NAME --xml`; undefined when the volume does not exist. */
export function parseVolumeInfo(result: Result): VolumeInfo | undefined {
  const { doc, errno } = glusterXml(result, [noSuchVolume])
  if (errno === noSuchVolume) return undefined
  const volume = find(doc, 'cliOutput/volInfo/volumes/volume')
  return volume ? parseVolume(volume) : undefined
}

/** Parse `gluster volume status NAME --xml` into brick processes (self-heal daemons left out). */
export function parseVolumeStatus(result: Result): BrickStatus[] {
  const { doc } = glusterXml(result, [noSuchVolume, notStarted])
  return findAll(doc, 'cliOutput/volStatus/volumes/volume/node')
    .filter((n) => (textAt(n, 'path') ?? '').startsWith('/'))
    .map((n) => {
      const pid = Number(textAt(n, 'pid'))
      return {
        host: textAt(n, 'hostname') ?? '',
        path: textAt(n, 'path') ?? '',
        online: textAt(n, 'status') === '1',
        pid: Number.isFinite(pid) && pid > 0 ? pid : null,
      }
    })
}

/** Parse `gluster volume get NAME all --xml`: option name to value, with " (DEFAULT)" removed. */
export function parseVolumeOptions(result: Result): Record<string, string> {
  const { doc } = glusterXml(result)
  return Object.fromEntries(
    findAll(doc, 'cliOutput/volGetopts/Opt').map((o) => [
      textAt(o, 'Option') ?? '',
      (textAt(o, 'Value') ?? '').replace(/ \(DEFAULT\)$/, ''),
    ]),
  )
}

/** Parse `gluster volume heal NAME info summary --xml`. */
export function parseHealSummary(result: Result): HealSummary[] {
  const { doc } = glusterXml(result)
  return findAll(doc, 'cliOutput/healInfo/bricks/brick').map((b) => ({
    brick: textAt(b, 'name') ?? '',
    connected: textAt(b, 'status') === 'Connected',
    pending: Number(textAt(b, 'numberOfEntriesInHealPending') ?? textAt(b, 'totalNumberOfEntries') ?? '0') || 0,
    splitBrain: Number(textAt(b, 'numberOfEntriesInSplitBrain') ?? '0') || 0,
    possiblyHealing: Number(textAt(b, 'numberOfEntriesPossiblyHealing') ?? '0') || 0,
  }))
}

/** The peers this host's glusterd knows, with their state. */
export const peers = () => fact('gluster peers', gluster`peer status --xml`, parsePeers)

/** The volume's definition, or undefined when it does not exist. */
export const volumeInfo = (volume: string) =>
  fact(`gluster volume ${volume}`, gluster`volume info ${volume} --xml`, parseVolumeInfo)

/** Every option of the volume with its effective value. */
export const volumeOptions = (volume: string) =>
  fact(`gluster options ${volume}`, gluster`volume get ${volume} all --xml`, parseVolumeOptions)

/** Brick processes of the volume. */
export const volumeStatus = (volume: string) =>
  fact(
    `gluster status ${volume}`,
    gluster`volume status ${volume} --xml`,
    parseVolumeStatus,
  )

/** Parse `gluster volume heal NAME info split-brain --xml` into the paths in split brain (deduplicated). */
export function parseSplitBrain(result: Result): string[] {
  const { doc } = glusterXml(result)
  const files = findAll(doc, 'cliOutput/healInfo/bricks/brick/file').map((f) => f.text.trim())
  return [...new Set(files.filter(Boolean))].sort()
}

export interface HealState {
  bricks: HealSummary[]
  /** paths (or <gfid:...>) in split brain; listed only when the summary counts any */
  splitBrainFiles: string[]
  /** this host's brick has no entry in its heal index, so `heal info` was not run (bricks is empty) */
  indexEmpty?: boolean
}

/** Parse the healState command: the summary document, then the split-brain listing when one was asked for. */
export function parseHealState(result: Result): HealState {
  if (result.stdout === indexEmpty) return { bricks: [], splitBrainFiles: [], indexEmpty: true }
  const [summary, listing] = result.stdout.split('<?xml').filter((d) => d.trim()).map((d) => `<?xml${d}`)
  const part = (stdout: string | undefined) => ({ ...result, stdout: stdout ?? '' })
  const bricks = parseHealSummary(part(summary))
  return { bricks, splitBrainFiles: listing ? parseSplitBrain(part(listing)) : [] }
}

const healInfo = (volume: string) =>
  shell`out=$(gfs_gluster volume heal ${volume} info summary --xml) || { echo "$out"; exit 1; }; printf '%s\n' "$out"; case "$out" in *'<numberOfEntriesInSplitBrain>'[1-9]*) gfs_gluster volume heal ${volume} info split-brain --xml;; esac`

/** Pending heals per brick, and the split-brain files only when there are any: one round trip in the common case. */
export const healState = (volume: string) => fact(`gluster heal ${volume}`, glusterScript(healInfo(volume)), parseHealState)

const indexEmpty = 'heal index empty\n'

/** healState, read only when this host's brick has entries in its heal index (docs/rationale.md, "The heal index shortcut"). */
export const healStateIfIndexed = (volume: string, brick: string) => {
  const indices = `${brick}/.glusterfs/indices`
  return fact(
    `gluster heal ${volume} (index of ${brick})`,
    glusterScript(
      joinShell([shell`if [ -d ${indices}/xattrop ] && [ -z "$(find ${indices}/xattrop ${indices}/dirty ${indices}/entry-changes -mindepth 1 -maxdepth 1 ! -name 'xattrop-*' ! -name 'dirty-*' 2>/dev/null | head -n 1)" ]; then printf '%s' ${indexEmpty}; exit 0; fi`, healInfo(volume)], '; '),
    ),
    parseHealState,
  )
}
