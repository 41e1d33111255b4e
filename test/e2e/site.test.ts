// The main job against the lab: bare hosts to a working appliance, idempotent, surviving reboots.
import test from 'ava'
import { eventually, lab, labInventory, labInventoryWith, onHost, requireRoot, tryOnHost } from '../helpers/lab.ts'
import { explain, provision } from '../helpers/provision.ts'

const hosts = ['hydra', 'plexus']

test.before(async () => {
  requireRoot()
  await lab.down()
  await lab.up({ flavor: 'bare', log: () => {} })
})

test.serial('--check on a fresh lab says what it would do and changes nothing', async (t) => {
  const run = await provision(['--inventory', labInventory(), '--check'])
  t.is(run.exitCode, 0, explain(run))
  for (const h of hosts) {
    t.true(run.recap!.hosts[h]!.changed > 0, `${h} would change something`)
    t.is(run.recap!.hosts[h]!.failed, 0)
  }
  const wouldInstall = run.events.find((e) => e.type === 'task:end' && e.task === 'packages installed' && e.host === 'hydra')
  t.regex(JSON.stringify(wouldInstall), /install .*glusterfs-server/)
  for (const h of hosts) {
    t.not((await tryOnHost(h, 'dpkg-query -W -f "${db:Status-Status}" glusterfs-server')).stdout, 'installed', `${h} untouched`)
    t.false((await onHost(h, 'cat /etc/fstab')).includes('/gfs/gv0'))
  }
})

test.serial('one run provisions both bare hosts', async (t) => {
  const run = await provision(['--inventory', labInventory()], { timeoutMs: 20 * 60_000 })
  t.is(run.exitCode, 0, explain(run))
  t.deepEqual(run.failures, [])
  for (const h of hosts) {
    t.like(run.recap!.hosts[h], { failed: 0, unreachable: false })
    const gv0 = JSON.parse(await onHost(h, 'findmnt --json -o TARGET,SOURCE,FSTYPE /gfs/gv0')).filesystems[0]
    t.is(gv0.fstype, 'fuse.glusterfs', `${h} /gfs/gv0`)
    const union = JSON.parse(await onHost(h, 'findmnt --json -o TARGET,FSTYPE,OPTIONS /gfs/union')).filesystems[0]
    t.is(union.fstype, 'overlay')
    // the union's own read-only gv0 client without quorum (docs/cut-link.md); union_lower brick: the bind the
    // prepare step makes (of the brick, or of that client)
    t.regex(union.options, process.env.GFS_LAB_UNION_LOWER === 'brick' ? /lowerdir=\/run\/gfs-writecache-lower,/ : /lowerdir=\/run\/gfs-writecache-union-lower,/)
    t.regex(await onHost(h, 'findmnt -n -o FSTYPE,OPTIONS /run/gfs-writecache-union-lower'), /^fuse\.glusterfs\s+ro,/)
    t.regex(union.options, /upperdir=\/data\/writecache\/upper/)
    t.notRegex(union.options, /redirect_dir=on|index=on|metacopy=on|xino=on/)
    t.regex(await onHost(h, 'systemctl cat gfs-union.mount'), /Options=.*redirect_dir=off,index=off,metacopy=off,xino=off/)
    t.is((await onHost(h, 'systemctl is-active gfs-writecache.service')).trim(), 'active')
    t.is((await onHost(h, 'systemctl is-enabled gfs-writecache.service')).trim(), 'enabled')
    t.is((await onHost(h, 'systemctl is-enabled glusterd.service')).trim(), 'enabled')
    // the lab's data disks have 512-byte inodes: the probe, run for real, finds gluster's xattrs in the inode
    const room = run.events.find((e) => e.type === 'task:end' && e.host === h && e.task === "brick file system keeps gluster's xattrs in the inode")
    t.like(room, { status: 'ok', message: 'in the inode' }, `${h}: ${JSON.stringify(room)}`)
    t.is(await onHost(h, 'ls -A /data/brick1 | grep -c xattr-probe || true'), '0\n', 'no probe file left beside the brick')
  }
  const info = await onHost('hydra', 'gluster volume info gv0')
  t.regex(info, /Status: Started/)
  t.regex(info, /Number of Bricks: 1 x 2 = 2/)
  t.regex(info, /cluster.quorum-type: fixed/)
})

test.serial('a file written into hydra\'s union reaches both bricks and plexus, with its ACL', async (t) => {
  const content = `written through the union at ${new Date().toISOString()}\n`
  // user::rw- user:1000:r-- group::r-- mask::rw- other::r-- (setfacl is not installed; the xattr is the ACL)
  const acl = '0sAgAAAAEABgD/////AgAGAOgDAAAEAAQA/////xAABgD/////IAAEAP////8='
  await onHost('hydra', 'mkdir -p /gfs/union/docs && cat > /gfs/union/docs/hello.txt', { input: content })
  await onHost('hydra', `setfattr -n system.posix_acl_access -v ${acl} /gfs/union/docs/hello.txt`)
  await onHost('hydra', 'gfs-writecache flush --wait --timeout 120', { timeoutMs: 150_000 })
  for (const h of hosts) {
    t.is(await onHost(h, 'cat /data/brick1/gv0/docs/hello.txt'), content, `${h} brick`)
    const brickAcl = await onHost(h, 'getfattr --absolute-names -e base64 -n system.posix_acl_access /data/brick1/gv0/docs/hello.txt')
    t.true(brickAcl.includes(`system.posix_acl_access=${acl}`), `${h} brick ACL: ${brickAcl}`)
  }
  t.is(await onHost('plexus', 'cat /gfs/gv0/docs/hello.txt'), content)
  await eventually(async () => (await tryOnHost('plexus', 'cat /gfs/union/docs/hello.txt')).stdout === content, 90_000)
  t.pass()
})

test.serial('a second run changes nothing', async (t) => {
  const run = await provision(['--inventory', labInventory()])
  t.is(run.exitCode, 0, explain(run))
  for (const h of hosts) t.like(run.recap!.hosts[h], { changed: 0, failed: 0, unreachable: false }, JSON.stringify(run.events.filter((e) => e.type === 'task:end' && e.status === 'changed')))
})

for (const h of hosts) {
  test.serial(`${h} reboots: mounts and agent come back by themselves, cached data is still flushed`, async (t) => {
    const content = `cached on ${h} before the reboot\n`
    await onHost(h, 'systemctl stop gfs-writecache.service')
    await onHost(h, `cat > /gfs/union/before-reboot-${h}.txt && sync`, { input: content })
    t.is(await onHost(h, `cat /data/writecache/upper/before-reboot-${h}.txt`), content, 'held in the cache, not yet published')
    await lab.reboot(h)
    await eventually(async () => (await tryOnHost(h, 'systemctl is-active gfs-writecache.service')).stdout.trim() === 'active', 120_000)
    t.is(JSON.parse(await onHost(h, 'findmnt --json -o FSTYPE /gfs/gv0')).filesystems[0].fstype, 'fuse.glusterfs')
    t.is(JSON.parse(await onHost(h, 'findmnt --json -o FSTYPE /gfs/union')).filesystems[0].fstype, 'overlay')
    t.regex(await onHost(h, 'findmnt -n -o OPTIONS /gfs/union'), /lowerdir=\/run\/gfs-writecache-union-lower,/, 'on its own gv0 client again')
    t.is(await onHost(h, `cat /gfs/union/before-reboot-${h}.txt`), content)
    await onHost(h, 'gfs-writecache flush --wait --timeout 120', { timeoutMs: 150_000 })
    for (const b of hosts) t.is(await onHost(b, `cat /data/brick1/gv0/before-reboot-${h}.txt`), content, `${b} brick`)
  })
}

test.serial('a brick on the root file system is refused and nothing is created', async (t) => {
  const file = labInventoryWith((inv) => (inv.all.vars.brick = '/srv/root-brick/gv0'))
  const run = await provision(['--inventory', file])
  t.not(run.exitCode, 0)
  t.regex(run.failures.join('\n'), /brick \/srv\/root-brick\/gv0 would be on the root file system/)
  for (const h of hosts) t.is((await tryOnHost(h, 'test -e /srv/root-brick')).exitCode, 1)
})

test.serial('a data disk that is not mounted is refused', async (t) => {
  const file = labInventoryWith((inv) => (inv.all.vars.data_disk = '/mnt/missing-disk'))
  const run = await provision(['--inventory', file])
  t.not(run.exitCode, 0)
  t.regex(run.failures.join('\n'), /data disk \/mnt\/missing-disk is not mounted/)
})

test.serial('an existing volume with other bricks is reported, never destroyed', async (t) => {
  const file = labInventoryWith((inv) => (inv.all.vars.brick = '/data/brick2/gv0'))
  const run = await provision(['--inventory', file])
  t.not(run.exitCode, 0)
  t.regex(run.failures.join('\n'), /volume gv0 already exists as Replicate replica 2 with bricks hydra:\/data\/brick1\/gv0/)
  t.regex(await onHost('hydra', 'gluster volume info gv0'), /Brick1: hydra:\/data\/brick1\/gv0/)
  t.is(await onHost('plexus', 'cat /data/brick1/gv0/docs/hello.txt').then((s) => s.length > 0), true)
})

test.serial('an unreachable host is reported; the other host goes on', async (t) => {
  const file = labInventoryWith((inv) => (inv.all.hosts.plexus.ansible_port = 2))
  const run = await provision(['--inventory', file])
  t.not(run.exitCode, 0)
  t.true(run.recap!.hosts.plexus!.unreachable)
  t.like(run.recap!.hosts.hydra, { failed: 0, unreachable: false })
  t.regex(run.failures.join('\n'), /plexus.*connection refused/)
})
