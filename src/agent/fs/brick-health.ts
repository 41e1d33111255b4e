// Is this host's brick current, so the union may use it as its lower layer? Current means: the volume
// cannot take a write one brick misses (replica without arbiter, quorum of every brick), every brick
// is up and connected, and no heal is pending anywhere. Anything else, or a question gluster does not
// answer, is "not current" with the reason (docs/rationale.md, "The brick as the union's lower layer").
import { readFileSync } from 'node:fs'
import { findAll, parseXml, textAt, type XmlNode } from '../../facts/xml.ts'
import { notStarted, run } from './run.ts'

export interface BrickVerdict {
  current: boolean
  reason: string
}

/**
 * The answers the verdict is made from (`gluster ... --xml`), and who this host is. Neither takes
 * glusterd's cluster-wide lock (`volume status` does, and both hosts' checks then collide): glfsheal's
 * summary connects to every brick, so a brick or peer that is away shows there as not connected.
 */
export interface BrickFacts {
  volumeInfo: string
  healSummary: string
  localUuid: string
  brick: string
}

const no = (reason: string): BrickVerdict => ({ current: false, reason })

function doc(xml: string, what: string): XmlNode {
  const d = parseXml(xml)
  const ret = textAt(d, 'cliOutput/opRet')
  if (ret === undefined) throw new Error(`${what}: no answer`)
  if (ret !== '0') throw new Error(`${what}: ${textAt(d, 'cliOutput/opErrstr') || `failed (${ret})`}`)
  return d
}

/** The verdict from gluster's answers; pure, so every case is a unit test. */
export function judgeBrick(f: BrickFacts): BrickVerdict {
  let info: XmlNode, heal: XmlNode
  try {
    info = doc(f.volumeInfo, 'volume info')
    heal = doc(f.healSummary, 'heal info')
  } catch (err) {
    return no(`gluster did not answer: ${(err as Error).message}`)
  }
  const vol = findAll(info, 'cliOutput/volInfo/volumes/volume')[0]
  if (!vol) return no('volume info names no volume')
  const replica = Number(textAt(vol, 'replicaCount') ?? '0')
  const arbiter = Number(textAt(vol, 'arbiterCount') ?? '0')
  const bricks = findAll(vol, 'bricks/brick')
  if (arbiter > 0) return no('the volume has an arbiter: one side can take writes alone, so a brick can fall behind')
  if (replica < 2 || bricks.length !== replica) return no(`not a plain replica volume (${bricks.length} bricks, replica ${replica})`)
  const options = new Map(findAll(vol, 'options/option').map((o) => [textAt(o, 'name') ?? '', textAt(o, 'value') ?? '']))
  const qType = options.get('cluster.quorum-type')
  const qCount = Number(options.get('cluster.quorum-count') ?? '0')
  if (qType !== 'fixed' || qCount !== replica) {
    return no(`quorum lets writes reach fewer than all ${replica} bricks (cluster.quorum-type ${qType ?? 'unset'}, quorum-count ${qCount || 'unset'})`)
  }
  const mine = bricks.find((b) => textAt(b, 'hostUuid') === f.localUuid && (textAt(b, 'name') ?? '').endsWith(`:${f.brick}`))
  if (!mine) return no(`this host's brick ${f.brick} is not one of the volume's bricks`)
  const healBricks = findAll(heal, 'cliOutput/healInfo/bricks/brick')
  if (healBricks.length !== replica) return no(`heal info lists ${healBricks.length} of ${replica} bricks`)
  for (const b of healBricks) {
    const name = textAt(b, 'name') ?? '?'
    if (textAt(b, 'status') !== 'Connected') return no(`brick ${name} is not online or not connected (${textAt(b, 'status') ?? 'no status'})`)
    const pending = Number(textAt(b, 'totalNumberOfEntries') ?? 'NaN')
    if (!(pending === 0)) return no(`${Number.isNaN(pending) ? 'unknown' : pending} entries pending heal on ${name}`)
  }
  return { current: true, reason: 'current (every brick connected, no heal pending, quorum of all bricks)' }
}

/** glusterd's UUID for this host (/var/lib/glusterd/glusterd.info). */
function localUuid(): string {
  try {
    return /^UUID=(\S+)/m.exec(readFileSync('/var/lib/glusterd/glusterd.info', 'utf8'))?.[1] ?? ''
  } catch {
    return ''
  }
}

async function gluster(args: string[]): Promise<string> {
  const r = await run('gluster', ['--mode=script', '--timeout=30', ...args, '--xml'], { stdout: true, cLocale: true }).catch(notStarted)
  const out = r.stdout.toString('utf8')
  if (!out.includes('<cliOutput>')) throw new Error(`gluster ${args.join(' ')}: ${r.stderr.trim() || `exit ${r.code}`}`)
  return out
}

/** Asks gluster on this host; the hook lets agent tests stand in a fake brick's verdict. */
export const brickHealth = {
  async check(volume: string, brick: string): Promise<BrickVerdict> {
    try {
      const [volumeInfo, healSummary] = await Promise.all([gluster(['volume', 'info', volume]), gluster(['volume', 'heal', volume, 'info', 'summary'])])
      return judgeBrick({ volumeInfo, healSummary, localUuid: localUuid(), brick })
    } catch (err) {
      return no(`gluster did not answer: ${(err as Error).message}`)
    }
  },
}
