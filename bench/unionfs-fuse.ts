// The seed's union, unionfs-fuse in copy-on-write mode, over the same gv0 and a cache dir on the same disk.
import { join } from 'node:path'
import { onHost, tryOnHost } from './host.ts'
import type { Layout } from './layout.ts'
import { compareTargets, type TargetResult } from './write-targets.ts'

export interface UnionfsFuseResult {
  mount: string
  result: TargetResult
  /** the appliance's union, measured in turn with unionfs-fuse */
  union: TargetResult
}

/** Installs unionfs-fuse on hydra from its apt sources (the lab's proxy); updates the lists only when needed. */
export async function installUnionfsFuse(): Promise<void> {
  if (await tryOnHost('hydra', ['sh', '-c', 'command -v unionfs'])) return
  const install = ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '--no-install-recommends', 'unionfs-fuse']
  if (await tryOnHost('hydra', install, { timeoutMs: 300_000 })) return
  await onHost('hydra', ['apt-get', 'update'], { timeoutMs: 300_000 })
  await onHost('hydra', install, { timeoutMs: 300_000 })
}

/** The large-file and small-files workloads through unionfs-fuse (cow) over gv0, in turn with the union; unmounted afterwards. */
export async function unionfsFuse(at: Layout, opts: { smallMaxSeconds: number }): Promise<UnionfsFuseResult> {
  await installUnionfsFuse()
  const cache = join(at.local, 'unionfs-cache')
  const mountPoint = `/mnt/${at.name}-unionfs`
  const mount = ['unionfs', '-o', 'cow,allow_other', `${cache}=RW:${at.gv0Mount}=RO`, mountPoint]
  await onHost('hydra', ['mkdir', '-p', cache, mountPoint])
  await onHost('hydra', mount)
  try {
    const [result, union] = await compareTargets('hydra', [
      { dir: join(mountPoint, at.name, 'vs-unionfs'), smallMaxSeconds: opts.smallMaxSeconds, removeAfter: false },
      { dir: join(at.union, 'vs-unionfs') },
    ])
    return { mount: mount.join(' '), result: result!, union: union! }
  } finally {
    await tryOnHost('hydra', ['umount', mountPoint])
    await tryOnHost('hydra', ['rm', '-rf', cache])
    await tryOnHost('hydra', ['rmdir', mountPoint])
  }
}
