// How soon the other host's changes show through hydra's union, with gv0's FUSE mount as the lower layer
// against a read-only bind of hydra's brick (union_lower), side by side on two test overlays: a file
// plexus replaces (temporary + rename, as every publish does), one it appends to, and a new name hydra
// had looked up while it was missing. And what a dentry drop costs with a big tree cached (docs/rationale.md).
import { join } from 'node:path'
import { onHost, tryOnHost } from './host.ts'
import type { Layout } from './layout.ts'
import { median } from './stats.ts'

export interface VisibilityResult {
  /** seconds from plexus's change to hydra's union showing it, median of the trials; per kind and lower */
  gv0ReplacedSeconds: number
  brickReplacedSeconds: number
  gv0AppendedSeconds: number
  brickAppendedSeconds: number
  gv0NewNameSeconds: number
  brickNewNameSeconds: number
  /** when hydra's first look came: a figure at this value was there at once */
  firstCheckSeconds: number
  /** the dentry drop itself, and walking a tree of `dropTreeEntries` upper entries warm and after it */
  dropSeconds: number
  walkWarmSeconds: number
  walkAfterDropSeconds: number
  dropTreeEntries: number
}

const overlaySafety = 'redirect_dir=off,index=off,metacopy=off,xino=off'
const trials = 3
export const visibilityWaitSeconds = 40
const waitSeconds = visibilityWaitSeconds
const treeDirs = 100
const treeFiles = 500

/** Polls on hydra until `test` holds for each named check; prints each one's time of first success. */
function pollScript(checks: Record<string, string>): string {
  const names = Object.keys(checks)
  const body = names.map((n) => `[ -z "$${n}" ] && { ${checks[n]}; } 2>/dev/null && ${n}=$(date +%s.%N)`).join('; ')
  const done = names.map((n) => `[ -n "$${n}" ]`).join(' && ')
  return `end=$(( $(date +%s) + ${waitSeconds} )); ${names.map((n) => `${n}=`).join('; ')}; while [ $(date +%s) -lt $end ]; do ${body}; ${done} && break; sleep 0.02; done; echo ${names.map((n) => `${n}=$${n}`).join(' ')}`
}

export async function remoteVisibilityBench(at: Layout, brickRoot: string, log: (line: string) => void): Promise<VisibilityResult> {
  const scratch = join(at.local, 'visibility')
  const bind = `/mnt/${at.name}-vbrick`
  const onGv0 = `/mnt/${at.name}-vgv0`
  const onBrick = `/mnt/${at.name}-vunion`
  const dir = join(at.name, 'visibility')
  await onHost('hydra', ['mkdir', '-p', bind, onGv0, onBrick, ...['g', 'b'].flatMap((s) => [join(scratch, s, 'upper'), join(scratch, s, 'work')])])
  try {
    await onHost('hydra', ['sh', '-c', `mkdir -p ${at.gv0Mount}/${dir} && printf v0 > ${at.gv0Mount}/${dir}/replaced && printf v0 > ${at.gv0Mount}/${dir}/appended`])
    await onHost('hydra', ['mount', '--bind', brickRoot, bind])
    await onHost('hydra', ['mount', '-o', 'remount,bind,ro', bind])
    await onHost('hydra', ['sh', '-c', `for n in $(ls -a ${brickRoot} | grep '^\\.glusterfs'); do mknod ${scratch}/b/upper/$n c 0 0; done`])
    await onHost('hydra', ['mount', '-t', 'overlay', 'overlay', '-o', `lowerdir=${at.gv0Mount},upperdir=${scratch}/g/upper,workdir=${scratch}/g/work,${overlaySafety}`, onGv0])
    await onHost('hydra', ['mount', '-t', 'overlay', 'overlay', '-o', `lowerdir=${bind},upperdir=${scratch}/b/upper,workdir=${scratch}/b/work,${overlaySafety}`, onBrick])
    const seen: Record<string, number[]> = {}
    for (let i = 1; i <= trials; i++) {
      const v = `v${i}`
      const u = (root: string, name: string) => join(root, dir, name)
      // hydra has read both files and looked the new name up while missing, through both unions
      await onHost('hydra', ['sh', '-c', [onGv0, onBrick].map((r) => `cat ${u(r, 'replaced')} ${u(r, 'appended')} > /dev/null; ls ${u(r, `new-${i}`)} 2>/dev/null; true`).join('; ')])
      // the clock is the machine's, shared by both containers: plexus's time once its changes are in gv0
      const t0 = Number((await onHost('plexus', ['sh', '-c', `d=${at.gv0Mount}/${dir}; printf ${v} > $d/.replaced.tmp && mv $d/.replaced.tmp $d/replaced && printf ${v} >> $d/appended && printf x > $d/new-${i} && date +%s.%N`])).trim())
      const checks: Record<string, string> = { firstCheck: 'true' }
      for (const [tag, root] of [['gv0', onGv0], ['brick', onBrick]] as const) {
        checks[`${tag}Replaced`] = `[ "$(cat ${u(root, 'replaced')})" = ${v} ]`
        checks[`${tag}Appended`] = `grep -q ${v} ${u(root, 'appended')}`
        checks[`${tag}NewName`] = `[ -e ${u(root, `new-${i}`)} ]`
      }
      const out = await onHost('hydra', ['sh', '-c', pollScript(checks)], { timeoutMs: (waitSeconds + 30) * 1000 })
      for (const m of out.trim().split('\n').pop()!.matchAll(/(\w+)=([\d.]*)/g)) {
        ;(seen[m[1]!] ??= []).push(m[2] ? Number(m[2]) - t0 : waitSeconds)
      }
      log(`  trial ${i}: ${Object.entries(seen).map(([k, xs]) => `${k} ${xs[xs.length - 1]!.toFixed(2)} s`).join(', ')}`)
    }
    // the cost of a drop: a tree of upper entries through the brick-lower union, walked warm, dropped, walked again
    const tree = join(onBrick, at.name, 'drop-tree')
    await onHost('hydra', ['sh', '-c', `mkdir -p ${tree} && cd ${tree} && for d in $(seq 1 ${treeDirs}); do mkdir $d && (cd $d && seq 1 ${treeFiles} | xargs touch); done`], { timeoutMs: 600_000 })
    const timed = async (script: string) => {
      const out = await onHost('hydra', ['sh', '-c', `s=$(date +%s.%N); ${script} > /dev/null; e=$(date +%s.%N); echo "$s $e"`], { timeoutMs: 300_000 })
      const [s, e] = out.trim().split('\n').pop()!.split(' ').map(Number)
      return e! - s!
    }
    const walk = `find ${tree} -printf '%i %s\\n'`
    const warm: number[] = []
    const drop: number[] = []
    const cold: number[] = []
    for (let i = 0; i < trials; i++) {
      await timed(walk)
      warm.push(await timed(walk))
      drop.push(await timed('echo 2 > /proc/sys/vm/drop_caches'))
      cold.push(await timed(walk))
    }
    const r: VisibilityResult = {
      gv0ReplacedSeconds: median(seen.gv0Replaced!),
      brickReplacedSeconds: median(seen.brickReplaced!),
      gv0AppendedSeconds: median(seen.gv0Appended!),
      brickAppendedSeconds: median(seen.brickAppended!),
      gv0NewNameSeconds: median(seen.gv0NewName!),
      brickNewNameSeconds: median(seen.brickNewName!),
      firstCheckSeconds: median(seen.firstCheck!),
      dropSeconds: median(drop),
      walkWarmSeconds: median(warm),
      walkAfterDropSeconds: median(cold),
      dropTreeEntries: treeDirs * (treeFiles + 1),
    }
    return r
  } finally {
    await tryOnHost('hydra', ['umount', onBrick])
    await tryOnHost('hydra', ['umount', onGv0])
    await tryOnHost('hydra', ['umount', bind])
    await tryOnHost('hydra', ['rm', '-rf', scratch, join(at.gv0Mount, dir)])
    await tryOnHost('hydra', ['rmdir', bind, onGv0, onBrick])
  }
}
