// Builds the libvirt box from the lab's debootstrap root file system and adds it to Vagrant, once:
// a box whose recipe has not changed is reused. Nothing is downloaded but Debian's kernel package.
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { baseRoot } from '../lab/paths.ts'
import { ensureRootfs, rootfsKey } from '../lab/rootfs.ts'
import { must, run } from '../lab/proc.ts'
import { LabError } from '../lab/errors.ts'
import { withSharedLock } from '../lab/lock.ts'
import { boxKey, boxMetadata, boxVagrantfile, enabledUnits, guestCommands, guestFiles, localBoxName, rootDiskMb } from './box-files.ts'

/** Where built boxes live (outside the repository, beside the lab's state; never in the shared rootfs cache). */
export const boxDir = process.env.GFS_VAGRANT_BOX_DIR ?? join(baseRoot, 'vagrant-box')

/** Vagrant's own insecure public key, as the Debian package ships it; Vagrant replaces it on first `up`. */
export function vagrantPublicKey(): string {
  const candidates = ['/usr/share/rubygems-integration/all/gems', '/opt/vagrant/embedded/gems/gems']
  for (const base of candidates) {
    if (!existsSync(base)) continue
    for (const gem of readdirSync(base).filter((d) => /^vagrant-\d/.test(d)).sort().reverse()) {
      const key = join(base, gem, 'keys', 'vagrant.pub')
      if (existsSync(key)) return readFileSync(key, 'utf8').trim()
    }
  }
  throw new LabError('Vagrant\'s insecure public key (keys/vagrant.pub) was not found', 'install Vagrant: `apt-get install vagrant vagrant-libvirt`')
}

export interface BoxResult {
  name: string
  file: string
  built: boolean
  seconds: { rootfs: number; packages: number; image: number; add: number }
}

/** Whether Vagrant already has the box under its name for the libvirt provider. */
async function boxAdded(name: string): Promise<boolean> {
  const r = await run(['vagrant', 'box', 'list', '--machine-readable'])
  return r.exitCode === 0 && r.stdout.split('\n').some((l) => l.split(',')[2] === 'box-name' && l.split(',')[3] === name)
}

/** Builds the box when its recipe changed (or `force`), and adds it to Vagrant when it is not there yet. */
export async function ensureBox(log: (line: string) => void, options: { force?: boolean; name?: string } = {}): Promise<BoxResult> {
  const name = options.name ?? localBoxName
  const seconds = { rootfs: 0, packages: 0, image: 0, add: 0 }
  let t = Date.now()
  const rootfs = await ensureRootfs('ready', log)
  seconds.rootfs = (Date.now() - t) / 1000
  const key = boxKey(rootfsKey('ready'), vagrantPublicKey())
  const file = join(boxDir, `${key}.box`)
  mkdirSync(boxDir, { recursive: true })
  let built = false
  await withSharedLock(join(boxDir, '.lock'), `build ${key}`, 30 * 60 * 1000, async () => {
    if (options.force || !existsSync(file)) {
      Object.assign(seconds, await buildBox(rootfs, key, file, log))
      built = true
    }
    t = Date.now()
    const stamp = join(boxDir, 'added.json')
    const addedKey = existsSync(stamp) ? JSON.parse(readFileSync(stamp, 'utf8'))[name] : undefined
    if (built || addedKey !== key || !(await boxAdded(name))) {
      log(`vagrant box add --name ${name} ${file}`)
      await must(['vagrant', 'box', 'add', '--force', '--name', name, file], { timeoutMs: 10 * 60_000 })
      const all = existsSync(stamp) ? JSON.parse(readFileSync(stamp, 'utf8')) : {}
      writeFileSync(stamp, JSON.stringify({ ...all, [name]: key }, null, 2) + '\n')
    }
    seconds.add = (Date.now() - t) / 1000
  })
  return { name, file, built, seconds }
}

/** Copy of the root file system, kernel installed in it, guest files written, then ext4 -> qcow2 -> box archive. */
async function buildBox(rootfs: string, key: string, file: string, log: (line: string) => void) {
  for (const stale of readdirSync(boxDir)) {
    if (stale.startsWith('.build-')) rmSync(join(boxDir, stale), { recursive: true, force: true })
  }
  const work = join(boxDir, `.build-${key}-${process.pid}`)
  const root = join(work, 'root')
  const archive = join(work, 'archive')
  mkdirSync(archive, { recursive: true })
  log(`building the Vagrant box ${key} from ${rootfs}`)
  let t = Date.now()
  await must(['cp', '-a', '--reflink=auto', rootfs, root])
  rmSync(join(root, '.lab-rootfs.json'), { force: true })
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  for (const argv of guestCommands()) {
    await must(['systemd-nspawn', '--quiet', '--register=no', '--keep-unit', '--resolv-conf=copy-host', `--directory=${root}`, '--setenv=DEBIAN_FRONTEND=noninteractive', ...argv], { env, timeoutMs: 20 * 60_000 })
  }
  const packages = (Date.now() - t) / 1000
  t = Date.now()
  const pub = vagrantPublicKey()
  const vagrantIds = statSync(join(root, 'home/vagrant'))
  for (const f of guestFiles(pub)) {
    const path = join(root, f.path)
    mkdirSync(dirname(path), { recursive: true })
    rmSync(path, { force: true })
    writeFileSync(path, f.content)
    chmodSync(path, f.mode)
    if (f.path.startsWith('home/vagrant/')) {
      chownSync(dirname(path), vagrantIds.uid, vagrantIds.gid)
      chmodSync(dirname(path), 0o700)
      chownSync(path, vagrantIds.uid, vagrantIds.gid)
    }
  }
  for (const u of enabledUnits) {
    const link = join(root, 'etc/systemd/system', `${u.target}.wants`, u.unit)
    mkdirSync(dirname(link), { recursive: true })
    rmSync(link, { force: true })
    symlinkSync(u.path, link)
  }
  // The container lab masks the console getty; a VM keeps it (serial console for debugging).
  for (const unit of ['getty@.service', 'console-getty.service']) rmSync(join(root, 'etc/systemd/system', unit), { force: true })
  const kernel = newestIn(join(root, 'boot'), 'vmlinuz-')
  cpSync(join(root, 'boot', kernel), join(archive, 'vmlinuz'))
  cpSync(join(root, 'boot', kernel.replace('vmlinuz-', 'initrd.img-')), join(archive, 'initrd.img'))
  const raw = join(work, 'root.ext4')
  await must(['mkfs.ext4', '-q', '-F', '-L', 'root', '-d', root, raw, `${rootDiskMb}M`], { timeoutMs: 20 * 60_000 })
  await must(['qemu-img', 'convert', '-O', 'qcow2', raw, join(archive, 'box.img')], { timeoutMs: 20 * 60_000 })
  rmSync(raw)
  writeFileSync(join(archive, 'metadata.json'), boxMetadata())
  writeFileSync(join(archive, 'Vagrantfile'), boxVagrantfile())
  const tmpBox = join(work, 'out.box')
  await must(['tar', '-C', archive, '-cf', tmpBox, 'metadata.json', 'Vagrantfile', 'box.img', 'vmlinuz', 'initrd.img'], { timeoutMs: 20 * 60_000 })
  for (const old of readdirSync(boxDir).filter((f) => f.endsWith('.box'))) rmSync(join(boxDir, old))
  renameSync(tmpBox, file)
  rmSync(work, { recursive: true, force: true })
  const image = (Date.now() - t) / 1000
  log(`built ${file} (packages ${packages.toFixed(0)} s, image ${image.toFixed(0)} s)`)
  return { packages, image }
}

/** The newest file in a directory with a prefix (the kernel the package just installed). */
function newestIn(dir: string, prefix: string): string {
  const found = readdirSync(dir).filter((f) => f.startsWith(prefix)).sort()
  if (!found.length) throw new LabError(`no ${prefix}* in ${dir}: the kernel package did not install`)
  return found[found.length - 1]!
}
