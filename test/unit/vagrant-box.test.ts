// The locally built Vagrant box: its metadata, its own Vagrantfile (run in ruby against a stand-in for
// Vagrant's config), the guest's files, and a key that changes whenever the recipe does.
import test from 'ava'
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, statSync, writeFileSync, readFileSync, chmodSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { boxKey, boxMetadata, boxVagrantfile, guestCommands, guestFiles, kernelCmdline, rootDiskMb } from '../../src/vagrant/box-files.ts'

const pub = 'ssh-rsa AAAAB3NzaC1yc2EAAAABIwAAAQEA6NF8iallvQVp22WDkTkyrtvp9eWW6A8YVr+kz4TjGYe7gHzIw+niNltGEFHzD8+v1I2YJ6oXevct1YeS0o9HZyN1Q9qgCgzUFtdOKLv6IedplqoPkcmF0aYet2PkEDo3MlTBckFXPITAMzF8dJSIFo9D8HfdOV0IAdx4O7PtixWKn5y2hMNG0zQPyUecp4pzC6kivAIhyfHilFR61RGL+GPXQ2MWZWFYbAGjyiYJnAmCP3NOTd0jMZEnDkbUvxhMmBYSdETk1rRgm+R4LOzFUGaHqHDLKLX+FIPKcF96hrucXzcWyLbIbEgE98OHlnVYCzRdK8jlqm8tehUc9c9WhQ== vagrant insecure public key'

test('metadata.json: a libvirt qcow2 box whose virtual size holds the root disk', (t) => {
  const meta = JSON.parse(boxMetadata())
  t.is(meta.provider, 'libvirt')
  t.is(meta.format, 'qcow2')
  t.true(Number.isInteger(meta.virtual_size) && meta.virtual_size * 1024 >= rootDiskMb)
})

test('the box key: the same recipe gives the same key; another root file system or key, another box', (t) => {
  const a = boxKey('rootfs-bookworm-ready-aaaa', pub)
  t.regex(a, /^box-[0-9a-f]{12}$/)
  t.is(boxKey('rootfs-bookworm-ready-aaaa', pub), a)
  t.not(boxKey('rootfs-bookworm-ready-bbbb', pub), a)
  t.not(boxKey('rootfs-bookworm-ready-aaaa', pub.replace('insecure', 'other')), a)
})

test('guest files: the vagrant user logs in with the key and has password-less sudo; the root disk is the kernel\'s root=', (t) => {
  const files = new Map(guestFiles(pub).map((f) => [f.path, f]))
  t.is(files.get('home/vagrant/.ssh/authorized_keys')?.content, pub + '\n')
  t.is(files.get('home/vagrant/.ssh/authorized_keys')?.mode, 0o600)
  t.is(files.get('etc/sudoers.d/vagrant')?.mode, 0o440)
  t.regex(files.get('etc/sudoers.d/vagrant')!.content, /^vagrant ALL=\(ALL\) NOPASSWD: ALL$/m)
  const root = /root=(\S+)/.exec(kernelCmdline)![1]
  t.is(files.get('etc/fstab')!.content.split(/\s+/)[0], root)
  t.regex(kernelCmdline, /net\.ifnames=0/, 'the networkd file matches eth0')
  t.regex(files.get('etc/systemd/network/10-eth0.network')!.content, /Name=eth0[\s\S]*DHCP=ipv4/)
  t.regex(files.get('etc/systemd/system/ssh-host-keys.service')!.content, /ExecStart=\/usr\/bin\/ssh-keygen -A/)
  const cmds = guestCommands().map((c) => c.join(' '))
  t.true(cmds.some((c) => c.includes('linux-image-amd64')))
  t.true(cmds.some((c) => c.startsWith('useradd') && c.endsWith(' vagrant')))
})

// Runs the box's Vagrantfile in ruby with a stand-in for Vagrant.configure that records the libvirt settings.
function runBoxVagrantfile(boxDir: string): { status: number; out: string; err: string } {
  const stub = `
    Cfg = Struct.new(:kernel, :initrd, :cmd_line, :disk_bus, :nic_model_type)
    $lv = Cfg.new
    module Vagrant
      def self.configure(_v)
        vm = Object.new
        def vm.provider(name)
          yield $lv if name == "libvirt"
        end
        config = Object.new
        config.define_singleton_method(:vm) { vm }
        yield config
      end
    end
    load ${JSON.stringify(join(boxDir, 'Vagrantfile'))}
    require "json"
    puts JSON.generate($lv.to_h)
  `
  const r = spawnSync('ruby', ['-e', stub], { encoding: 'utf8' })
  return { status: r.status ?? -1, out: r.stdout, err: r.stderr }
}

test('the box Vagrantfile boots its own kernel, copied where qemu can read it, and refuses a boot dir others can write', (t) => {
  const box = mkdtempSync(join(tmpdir(), 'gfs-box-'))
  chmodSync(box, 0o700)
  writeFileSync(join(box, 'Vagrantfile'), boxVagrantfile())
  writeFileSync(join(box, 'vmlinuz'), `kernel ${box}\n`)
  writeFileSync(join(box, 'initrd.img'), `initrd ${box}\n`)
  const r = runBoxVagrantfile(box)
  t.is(r.status, 0, r.err)
  const lv = JSON.parse(r.out)
  t.is(lv.cmd_line, kernelCmdline)
  t.is(lv.disk_bus, 'virtio')
  t.regex(lv.kernel, /^\/var\/tmp\/gfs-writecache-boot-\d+-[0-9a-f]{12}\/vmlinuz$/)
  t.is(readFileSync(lv.kernel, 'utf8'), `kernel ${box}\n`)
  t.is(readFileSync(lv.initrd, 'utf8'), `initrd ${box}\n`)
  t.is(statSync(lv.kernel).mode & 0o777, 0o644)
  const dir = join(lv.kernel, '..')
  t.is(statSync(dir).mode & 0o777, 0o755)
  chmodSync(dir, 0o777)
  const refused = runBoxVagrantfile(box)
  t.not(refused.status, 0)
  t.regex(refused.err, /only it can write/)
  rmSync(dir, { recursive: true, force: true })
  rmSync(box, { recursive: true, force: true })
})

test('the box Vagrantfile is valid ruby', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gfs-box-'))
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'Vagrantfile'), boxVagrantfile())
  t.regex(execFileSync('ruby', ['-c', join(dir, 'Vagrantfile')], { encoding: 'utf8' }), /Syntax OK/)
  rmSync(dir, { recursive: true, force: true })
})
