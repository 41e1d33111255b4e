// Deletes timed by the agent, against real gluster: a name plexus made again after hydra deleted it
// survives hydra's delete, even when later deletes on hydra move every whiteout's ctime past it.
import test from 'ava'
import { onHost, provisionedLab } from '../helpers/lab.ts'

const flush = (host: string, seconds = 240) =>
  onHost(host, `gfs-writecache flush --wait --timeout ${seconds}`, { timeoutMs: (seconds + 30) * 1000 })

test.before(provisionedLab)

test.serial('a file plexus made again after hydra deleted it is kept and reported, across an agent restart', async (t) => {
  const dir = `t4-${Date.now()}`
  await onHost('plexus', `mkdir /gfs/union/${dir} && echo v1 > /gfs/union/${dir}/doc && echo x > /gfs/union/${dir}/other`)
  await flush('plexus')
  // older than hydra's stale-lookup window (its last dentry drop, 10 s apart, less 10 s of clock skew):
  // only then may a delete on hydra remove what plexus made
  await new Promise((r) => setTimeout(r, 21_000))
  await onHost('hydra', 'echo 2 > /proc/sys/vm/drop_caches')
  await onHost('hydra', `cat /gfs/union/${dir}/doc`)
  await flush('hydra') // hydra's agent has walked its cache since: the delete below is newer than that walk
  await onHost('hydra', 'systemctl stop gfs-writecache.service')
  await onHost('hydra', `rm /gfs/union/${dir}/doc`)
  await new Promise((r) => setTimeout(r, 1500))
  await onHost('plexus', `rm /gfs/gv0/${dir}/doc && echo v2-made-after-the-delete > /gfs/gv0/${dir}/doc`)
  await new Promise((r) => setTimeout(r, 1500))
  // a later delete on hydra: every whiteout's ctime (one shared inode) now postdates plexus's file
  await onHost('hydra', `rm /gfs/union/${dir}/other`)
  await onHost('hydra', 'systemctl start gfs-writecache.service')
  await flush('hydra')
  t.is(await onHost('plexus', `cat /data/brick1/gv0/${dir}/doc`), 'v2-made-after-the-delete\n', 'the remote file survived')
  t.is((await onHost('plexus', `ls /data/brick1/gv0/${dir}`)).trim(), 'doc', 'the other delete reached gv0')
  const conflicts = JSON.parse(await onHost('hydra', 'gfs-writecache conflicts --json')) as { path: string; kind: string }[]
  t.true(conflicts.some((c) => c.path === `${dir}/doc` && c.kind === 'delete-kept'), 'reported as a kept delete')
})
