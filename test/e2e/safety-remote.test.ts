// The other host's changes against real gluster: a create on plexus that hydra's union cannot see yet
// (stale negative dentry) is never overwritten by hydra's create of the same name, and a directory
// plexus removes never stalls what hydra wrote below it.
import test from 'ava'
import { onHost, provisionedLab, tryOnHost } from '../helpers/lab.ts'

const flush = (host: string, seconds = 120) =>
  onHost(host, `gfs-writecache flush --wait --timeout ${seconds}`, { timeoutMs: (seconds + 30) * 1000 })
const onBoth = async (script: string) => Promise.all(['hydra', 'plexus'].map((h) => onHost(h, script)))

test.before(provisionedLab)

test.serial("a name plexus creates while hydra's union still caches it as missing: plexus's file stays, hydra's is a conflict copy", async (t) => {
  let name = ''
  // the periodic dentry drop may land between the steps: then the name is visible and the case is retried
  for (let attempt = 0; attempt < 3 && !name; attempt++) {
    const n = `race-${Date.now()}`
    t.not((await tryOnHost('hydra', `cat /gfs/union/${n}.txt`)).exitCode, 0, 'looked up while missing')
    await onHost('plexus', `echo from-plexus > /gfs/gv0/${n}.txt`)
    const r = await onHost('hydra', `if cat /gfs/union/${n}.txt >/dev/null 2>&1; then echo visible; else echo from-hydra > /gfs/union/${n}.txt && echo written; fi`)
    if (r.trim() === 'written') name = n
    else t.log(`attempt ${attempt}: the dentry was dropped in between, retrying`)
  }
  t.truthy(name, 'wrote through a stale negative dentry')
  t.is(await onHost('hydra', `cat /gfs/union/${name}.txt`), 'from-hydra\n', "hydra's union shows hydra's file")
  await flush('hydra')
  for (const [i, out] of (await onBoth(`cat /data/brick1/gv0/${name}.txt`)).entries()) {
    t.is(out, 'from-plexus\n', `${['hydra', 'plexus'][i]}'s brick keeps plexus's file at the name`)
  }
  const listings = await onBoth(`ls /data/brick1/gv0 | grep '^${name}\\.conflict-hydra-' || true`)
  for (const l of listings) t.regex(l.trim(), new RegExp(`^${name}\\.conflict-hydra-\\d{8}T\\d{6}Z\\.txt$`))
  const copy = listings[0].trim()
  t.deepEqual(await onBoth(`cat /data/brick1/gv0/${copy}`), ['from-hydra\n', 'from-hydra\n'])
  t.regex(await onHost('hydra', 'gfs-writecache conflicts --json'), new RegExp(`${name}\\.txt`))
})

test.serial('a first publish takes its name with link(2): the next local version replaces it as an ordinary update', async (t) => {
  const name = `linked-${Date.now()}`
  await onHost('hydra', `echo v1 > /gfs/union/${name}.txt`)
  await flush('hydra')
  t.deepEqual(await onBoth(`stat -c %h /data/brick1/gv0/${name}.txt; cat /data/brick1/gv0/${name}.txt`), ['2\nv1\n', '2\nv1\n'], 'one name (and gluster\'s gfid link)')
  await onHost('hydra', `echo v2 > /gfs/union/${name}.txt`)
  await flush('hydra')
  t.deepEqual(await onBoth(`cat /data/brick1/gv0/${name}.txt`), ['v2\n', 'v2\n'])
  t.deepEqual(await onBoth(`ls -a /data/brick1/gv0 | grep -c '^${name}\\.conflict-\\|^\\.gfs-writecache\\.tmp' || true`), ['0\n', '0\n'], 'no conflict copy, no temporary')
})

test.serial('user xattrs changed and removed after the first publish reach both bricks', async (t) => {
  const name = `tagged-${Date.now()}`
  await onHost('hydra', `mkdir /gfs/union/${name} && echo x > /gfs/union/${name}/f && setfattr -n user.state -v draft /gfs/union/${name}/f && setfattr -n user.old -v 1 /gfs/union/${name}/f`)
  await flush('hydra')
  await onHost('hydra', `cd /gfs/union/${name} && setfattr -n user.state -v final f && setfattr -x user.old f && setfattr -n user.dir -v yes .`)
  await flush('hydra')
  for (const out of await onBoth(`cd /data/brick1/gv0/${name} && getfattr -d -m '^user\\.' f . 2>/dev/null`)) {
    t.regex(out, /# file: f\nuser\.state="final"\n\n/, 'changed here, changed there; removed here, removed there')
    t.regex(out, /# file: \.\nuser\.dir="yes"/)
  }
})

test.serial('a directory plexus removes while hydra writes below it: hydra\'s writes reach gv0, flush never stalls', async (t) => {
  const dir = `removed-${Date.now()}`
  await onHost('hydra', `mkdir -p /gfs/union/${dir}/sub && echo a1 > /gfs/union/${dir}/sub/a`)
  await flush('hydra')
  await onHost('plexus', `rm -rf /gfs/gv0/${dir}`)
  // the union's lower dentries of the removed directory go with the next drop; do it now. Only a's
  // content changes in sub: sub itself is not published again on its own account
  await onHost('hydra', `echo 2 > /proc/sys/vm/drop_caches; echo a2 > /gfs/union/${dir}/sub/a && echo new > /gfs/union/${dir}/new`)
  await flush('hydra', 90)
  for (const b of await onBoth(`cat /data/brick1/gv0/${dir}/new`)) t.is(b, 'new\n')
  const copies = await onBoth(`cd /data/brick1/gv0/${dir}/sub && cat a.conflict-hydra-*`)
  t.deepEqual(copies, ['a2\n', 'a2\n'], 'the changed file, deleted there, is kept as a conflict copy')
  const status = JSON.parse(await onHost('hydra', 'gfs-writecache status --json'))
  t.is(status.pending.entries, 0)
  t.regex(await onHost('hydra', 'gfs-writecache conflicts --json'), new RegExp(`dir-recreated[^\\n]*${dir}/sub`))
})

test.serial('both hosts change and delete the same names at the same moment: every version is kept', async (t) => {
  const dir = `both-${Date.now()}`
  const changed = [1, 2, 3, 4, 5, 6, 7, 8]
  const deleted = [9, 10, 11, 12]
  const all = [...changed, ...deleted]
  await onHost('hydra', `mkdir -p /gfs/gv0/${dir} && cd /gfs/gv0/${dir} && for i in ${all.join(' ')}; do echo base > r$i.txt; done`)
  await onHost('plexus', `cat /gfs/union/${dir}/r*.txt >/dev/null`)
  // older than both agents' dentry drop (10 s) plus the clock skew they allow (10 s): each host saw gv0's
  // version, so each publishes over it, and both publishes start in the same seconds
  await new Promise((r) => setTimeout(r, 22_000))
  await Promise.all([
    onHost('hydra', `cd /gfs/union/${dir} && for i in ${changed.join(' ')}; do echo hydra-$i > r$i.txt; done; rm ${deleted.map((i) => `r${i}.txt`).join(' ')}`),
    onHost('plexus', `cd /gfs/union/${dir} && for i in ${all.join(' ')}; do echo plexus-$i > r$i.txt; done`),
  ])
  await flush('hydra')
  await flush('plexus')
  await flush('hydra')
  for (const h of ['hydra', 'plexus']) {
    const versions = async (i: number) => (await onHost(h, `cd /data/brick1/gv0/${dir} && cat r${i}.txt r${i}.conflict-* 2>/dev/null | sort; true`)).trim().split('\n')
    for (const i of changed) t.deepEqual(await versions(i), [`hydra-${i}`, `plexus-${i}`], `${h}'s brick: both versions of r${i}.txt`)
    for (const i of deleted) t.deepEqual(await versions(i), [`plexus-${i}`], `${h}'s brick: plexus's version of r${i}.txt, deleted on hydra meanwhile`)
  }
})
