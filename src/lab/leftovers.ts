// What a lab instance leaves on this machine: its processes, mounts, loop devices, namespaces and links,
// found from the machine itself (not the lab's state file), so `down` also cleans up after a crash.
import { aptProxyPid } from './apt-proxy.ts'
import { delayLinePid } from './delay-line.ts'
import { mountPoints } from './disk.ts'
import { ownLinks, ownNamespaces } from './network.ts'
import { hostsDir } from './paths.ts'
import { pidsWhere } from './pids.ts'
import { run } from './proc.ts'

/** nspawn processes running one of the lab's roots, found even when their supervisor is gone. */
export async function strayNspawns(): Promise<number[]> {
  const nspawn = (argv: string[]) => Boolean(argv[0]?.endsWith('systemd-nspawn')) && argv.some((a) => a.startsWith(`--directory=${hostsDir}/`))
  const supervisor = (argv: string[]) => argv.some((a) => a.endsWith('src/lab/supervisor.ts')) && argv.some((a) => a.includes(hostsDir))
  return pidsWhere((argv) => nspawn(argv) || supervisor(argv))
}

// Mounts and loop devices of this instance live under its hosts directory; matching the whole lab
// root would take instance 0 into the other instances' directories (they live below it).
export const ownMounts = () => mountPoints().filter((m) => m.startsWith(hostsDir + '/'))

export async function ownLoops(): Promise<string[]> {
  const loops = (await run(['losetup', '--list', '--noheadings', '--output', 'NAME,BACK-FILE'])).stdout
  return loops.split('\n').filter((line) => line.includes(hostsDir + '/')).map((line) => line.trim())
}

/** What the lab may have left on this machine; `down` must leave this empty. */
export async function leftovers(): Promise<string[]> {
  const found: string[] = []
  for (const m of ownMounts()) found.push(`mount ${m}`)
  for (const line of await ownLoops()) found.push(`loop ${line}`)
  for (const ns of await ownNamespaces()) found.push(`netns ${ns}`)
  for (const link of await ownLinks()) found.push(`link ${link}`)
  for (const pid of await strayNspawns()) found.push(`process ${pid}`)
  const delayLine = delayLinePid()
  if (delayLine) found.push(`delay line ${delayLine}`)
  const aptProxy = aptProxyPid()
  if (aptProxy) found.push(`apt-cacher-ng ${aptProxy}`)
  return found
}
