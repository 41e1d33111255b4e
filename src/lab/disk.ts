// Each host's data disk: an ext4 image on a loop device, mounted on the lab machine and bound to /data.
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { hostPaths } from './paths.ts'
import { must, run } from './proc.ts'
import type { LabHost } from './topology.ts'

/** Mount points currently in the mount table (octal escapes decoded), to check before mounting. */
export function mountPoints(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ')[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
}

/** Whether a path is a mount point now. */
export function isMounted(path: string): boolean {
  return mountPoints().includes(path)
}

/** Unmounts a path, retrying a busy mount a few times before detaching it lazily; nothing to do when not mounted. */
export async function unmount(path: string): Promise<void> {
  for (let i = 0; i < 5 && isMounted(path); i++) await run(['umount', path])
  if (isMounted(path)) await must(['umount', '--lazy', path])
}

/** Loop devices attached to an image file. */
export async function loopDevicesOf(image: string): Promise<string[]> {
  const r = await run(['losetup', '--noheadings', '--output', 'NAME', '--associated', image])
  return r.exitCode === 0 ? r.stdout.split('\n').map((s) => s.trim()).filter(Boolean) : []
}

/** Creates (once), attaches and mounts a host's data disk; idempotent so `up` can repair a half-up lab. */
export async function ensureDataDisk(host: LabHost): Promise<string> {
  const p = hostPaths(host.name)
  mkdirSync(p.diskMount, { recursive: true })
  if (!existsSync(p.diskImage)) {
    await must(['truncate', '--size', `${host.dataDiskMb}M`, p.diskImage])
    // 512-byte inodes, as gluster asks of a brick's file system: its trusted.* xattrs (gfid, gfid2path, afr,
    // mdata) then stay in the inode. With ext4's default 256 they spill into a block of their own, and each cold
    // lookup through a union on the brick (overlayfs reads a lower file's xattrs) costs a second disk read.
    await must(['mkfs.ext4', '-q', '-F', '-I', '512', '-L', `data-${host.name}`.slice(0, 16), '-E', 'lazy_itable_init=1,lazy_journal_init=1', p.diskImage])
  }
  let [loop] = await loopDevicesOf(p.diskImage)
  if (!loop) loop = (await must(['losetup', '--find', '--show', p.diskImage])).trim()
  if (!isMounted(p.diskMount)) await must(['mount', '-t', 'ext4', loop, p.diskMount])
  return loop
}

/** Unmounts and detaches a host's data disk, leaving no mount or loop device behind. */
export async function releaseDataDisk(name: string): Promise<void> {
  const p = hostPaths(name)
  await unmount(p.diskMount)
  if (existsSync(p.diskImage)) {
    for (const loop of await loopDevicesOf(p.diskImage)) await run(['losetup', '--detach', loop])
  }
}
