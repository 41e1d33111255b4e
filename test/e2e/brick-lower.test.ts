// union_lower brick on the lab: the union on hydra's brick, creates and reads through it, publishes to
// both bricks, gluster's own entries never visible, and the fall back to gv0 while a brick is down.
import test from 'ava'
import { eventually, labInventoryWith, onHost, provisionedLab, tryOnHost } from '../helpers/lab.ts'
import { explain, provision } from '../helpers/provision.ts'

const dir = `brick-lower-${Date.now()}`
// status exits 1 or 2 while the agent restarts after the switch (health thresholds); the line is there anyway
const statusLine = async (host: string) => (await tryOnHost(host, 'gfs-writecache status')).stdout.split('\n').find((l) => l.startsWith('union lower:')) ?? ''

test.before(provisionedLab)

test.serial('union_lower brick: the union runs on the brick, hides gluster, publishes to both bricks, and falls back to gv0 while a brick is down', async (t) => {
  const brickInventory = labInventoryWith((inv) => (inv.all.vars.union_lower = 'brick'))
  const run = await provision(['--inventory', brickInventory])
  t.is(run.exitCode, 0, explain(run))
  try {
    for (const h of ['hydra', 'plexus']) {
      t.regex(await statusLine(h), /^union lower: brick \(\/data\/brick1\/gv0; union_lower brick\): brick current/, h)
      t.regex(await onHost(h, 'findmnt -n -o FSTYPE,OPTIONS /run/gfs-writecache-lower'), /^ext4\s+ro,/, `${h}: the brick, read-only`)
    }
    const root = await onHost('hydra', 'ls -a /gfs/union')
    t.notRegex(root, /\.glusterfs/, 'gluster internals never show in the union')
    t.regex(await onHost('hydra', 'ls -a /data/brick1/gv0'), /\.glusterfs-anonymous-inode-/, '(they are at the brick root)')

    // a directory and a file the other host made, read and written through hydra's brick-lower union
    await onHost('plexus', `mkdir -p /gfs/gv0/${dir} && printf remote > /gfs/gv0/${dir}/theirs.txt`)
    // older than a dentry drop plus the clock-skew allowance (10 s + 10 s): an edit here then replaces it; a
    // younger remote change may have been hidden from the union, and an edit of it becomes a conflict copy
    await new Promise((resolve) => setTimeout(resolve, 22_000))
    t.is(await onHost('hydra', `cat /gfs/union/${dir}/theirs.txt`), 'remote')
    await onHost('hydra', `for i in $(seq 1 50); do printf "n$i" > /gfs/union/${dir}/new-$i; done; printf ' edited' >> /gfs/union/${dir}/theirs.txt`)
    await onHost('hydra', 'gfs-writecache flush --wait --timeout 300', { timeoutMs: 330_000 })
    for (const h of ['hydra', 'plexus']) {
      t.is(await onHost(h, `cat /data/brick1/gv0/${dir}/new-50 /data/brick1/gv0/${dir}/theirs.txt`), 'n50remote edited', `${h}'s brick`)
      t.is(await onHost(h, `ls /data/brick1/gv0/${dir} | grep -c conflict || true`), '0\n', `${h}: the copy-up of their version is no conflict`)
      t.notRegex(await onHost(h, 'ls -a /gfs/gv0'), /\.glusterfs/, `${h}: the whiteouts were never published`)
    }
    t.notRegex(await onHost('hydra', `getfattr -d -m - /gfs/gv0/${dir}/theirs.txt 2>&1`), /trusted\./, 'no trusted.* xattr published')
    t.regex(await onHost('hydra', `getfattr -d -m - -e hex /data/writecache/upper/${dir}/theirs.txt`), /trusted\.gfid=/, '(the copy-up carried them)')

    // plexus's brick process dies: hydra's union moves to gv0 and says why; back on the brick once it is up
    const pid = (await onHost('plexus', `gluster volume status gv0 plexus:/data/brick1/gv0 --xml | sed -n 's:.*<pid>\\([0-9]*\\)</pid>.*:\\1:p' | head -n 1`)).trim()
    t.regex(pid, /^\d+$/)
    await onHost('plexus', `kill ${pid}`)
    // one status per look: on a loaded machine a status during the move takes seconds, the check runs every 15 s
    const lowerIs = (re: RegExp) => async () => {
      const line = await statusLine('hydra')
      return re.test(line) || line
    }
    await eventually(lowerIs(/^union lower: gv0 \(\/run\/gfs-writecache-union-lower; union_lower brick\): brick not used: .*plexus:\/data\/brick1\/gv0/), 120_000, 1000)
    t.regex(await onHost('hydra', 'findmnt -n -o FSTYPE /run/gfs-writecache-lower'), /fuse\.glusterfs/)
    await onHost('plexus', 'gluster volume start gv0 force')
    await eventually(lowerIs(/^union lower: brick/), 150_000, 1000)
    t.is(await onHost('hydra', `cat /gfs/union/${dir}/new-1`), 'n1', 'every cached and published file still there')
  } finally {
    await tryOnHost('plexus', 'gluster volume start gv0 force')
    const back = await provision(['--inventory', labInventoryWith(() => {})])
    t.is(back.exitCode, 0, `back to the lab's union_lower: ${explain(back)}`)
    await tryOnHost('hydra', `rm -rf /gfs/union/${dir}`)
  }
})
