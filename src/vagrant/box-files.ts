// What goes into the locally built libvirt box, as plain data: every file the guest and the box archive
// carry, so the build (box.ts) only copies and runs programs, and unit tests can read the exact content.
import { createHash } from 'node:crypto'

/** The name `vagrant box add` registers and the Vagrantfile picks up from GFS_VAGRANT_BOX. */
export const localBoxName = 'gfs-writecache/bookworm-lab'

/** Packages the box adds to the lab's `ready` root file system: a kernel to boot (and its initramfs). */
export const boxPackages = ['linux-image-amd64']

/** The root disk's virtual size: room for packages and logs; the qcow2 only stores what is written. */
export const rootDiskMb = 4096

/** Kernel command line for direct kernel boot: the root file system fills /dev/vda (no partition table). */
export const kernelCmdline = 'root=/dev/vda rw console=ttyS0 net.ifnames=0 quiet'

/** Names the box by what shapes its content, so a changed recipe builds a new box instead of reusing a stale one. */
export function boxKey(rootfsKey: string, vagrantPublicKey: string): string {
  const hash = createHash('sha256').update(JSON.stringify({ rootfsKey, boxPackages, rootDiskMb, kernelCmdline, vagrantPublicKey, files: guestFiles(vagrantPublicKey), boxVagrantfile: boxVagrantfile(), v: 1 }))
  return `box-${hash.digest('hex').slice(0, 12)}`
}

/** metadata.json of a libvirt box (vagrant-libvirt's format 'qcow2', size in GiB). */
export function boxMetadata(): string {
  return JSON.stringify({ provider: 'libvirt', format: 'qcow2', virtual_size: Math.ceil(rootDiskMb / 1024) }, null, 2) + '\n'
}

/**
 * The Vagrantfile inside the box: direct kernel boot from the kernel and initramfs shipped beside the disk.
 * Vagrant loads it before the project's Vagrantfile, which can still override any of it. qemu runs as its own
 * user and cannot read a box under a home directory (mode 0700), so the two files are copied to a directory
 * of this user's in /var/tmp (named by their content; refused if someone else owns it or can write it).
 */
export function boxVagrantfile(): string {
  return `# Part of the box: boots the kernel and initramfs shipped beside box.img (no boot loader in the image).
require "digest"
require "fileutils"

boot_files = lambda do
  sources = %w[vmlinuz initrd.img].map { |f| File.expand_path(f, __dir__) }
  digest = Digest::SHA256.new
  sources.each { |f| digest.file(f) }
  dir = "/var/tmp/gfs-writecache-boot-#{Process.uid}-#{digest.hexdigest[0, 12]}"
  FileUtils.mkdir_p(dir, mode: 0o755)
  st = File.lstat(dir)
  unless st.directory? && st.owned? && (st.mode & 0o022).zero?
    raise "#{dir}: not a directory of this user's that only it can write; remove it and retry"
  end
  sources.map do |src|
    dst = File.join(dir, File.basename(src))
    unless File.exist?(dst) && File.size(dst) == File.size(src)
      FileUtils.cp(src, "#{dst}.tmp")
      File.chmod(0o644, "#{dst}.tmp")
      File.rename("#{dst}.tmp", dst)
    end
    dst
  end
end

Vagrant.configure("2") do |config|
  config.vm.provider "libvirt" do |lv|
    lv.kernel, lv.initrd = boot_files.call
    lv.cmd_line = ${JSON.stringify(kernelCmdline)}
    lv.disk_bus = "virtio"
    lv.nic_model_type = "virtio"
  end
end
`
}

export interface GuestFile {
  path: string
  content: string
  mode: number
}

/**
 * Files written into the guest's root: the vagrant user's key and sudo rule, DHCP on the first NIC
 * (Vagrant finds the machine by its lease and then configures the private networks with systemd-networkd),
 * per-machine SSH host keys made at first boot, and the root file system in fstab.
 */
export function guestFiles(vagrantPublicKey: string): GuestFile[] {
  return [
    { path: 'home/vagrant/.ssh/authorized_keys', content: vagrantPublicKey.trim() + '\n', mode: 0o600 },
    { path: 'etc/sudoers.d/vagrant', content: 'vagrant ALL=(ALL) NOPASSWD: ALL\nDefaults:vagrant !requiretty\n', mode: 0o440 },
    { path: 'etc/fstab', content: '/dev/vda / ext4 defaults,errors=remount-ro 0 1\n', mode: 0o644 },
    { path: 'etc/hostname', content: 'bookworm-lab\n', mode: 0o644 },
    { path: 'etc/systemd/network/10-eth0.network', content: '[Match]\nName=eth0\n\n[Network]\nDHCP=ipv4\n', mode: 0o644 },
    { path: 'etc/resolv.conf', content: '# the libvirt network\'s dnsmasq answers on the default gateway\nnameserver 192.168.121.1\n', mode: 0o644 },
    { path: 'etc/ssh/sshd_config.d/10-vagrant.conf', content: 'UseDNS no\n', mode: 0o644 },
    {
      path: 'etc/systemd/system/ssh-host-keys.service',
      content: [
        '[Unit]',
        'Description=Generate this machine\'s own SSH host keys (the box ships none)',
        'Before=ssh.service',
        'ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key',
        '',
        '[Service]',
        'Type=oneshot',
        'ExecStart=/usr/bin/ssh-keygen -A',
        '',
        '[Install]',
        'WantedBy=multi-user.target',
        '',
      ].join('\n'),
      mode: 0o644,
    },
  ]
}

/** Units the guest enables (symlinks made in the image, since the build does not boot it). */
export const enabledUnits: { unit: string; target: string; path: string }[] = [
  { unit: 'systemd-networkd.service', target: 'multi-user.target', path: '/lib/systemd/system/systemd-networkd.service' },
  { unit: 'ssh-host-keys.service', target: 'multi-user.target', path: '/etc/systemd/system/ssh-host-keys.service' },
]

/** Commands run inside the root (systemd-nspawn) before the files above are written. */
export function guestCommands(): string[][] {
  return [
    ['apt-get', 'update'],
    ['apt-get', 'install', '-y', '--no-install-recommends', ...boxPackages],
    ['apt-get', 'clean'],
    ['useradd', '--create-home', '--shell', '/bin/bash', '--user-group', 'vagrant'],
  ]
}
