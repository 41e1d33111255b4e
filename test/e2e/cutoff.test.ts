// A host cut off from the other keeps taking new names through its union (docs/cut-link.md): the union's
// lower is its own read-only gv0 client with replicate's quorum off, so overlayfs's lookups keep answering
// from the brick the host still has; publishing waits for the link, with the volume's quorum.
import test from 'ava'
import { eventually, lab, onHost, provisionedLab, tryOnHost } from '../helpers/lab.ts'
import { explain, provision } from '../helpers/provision.ts'

const brick = '/data/brick1/gv0'
const lowerClient = '/run/gfs-writecache-union-lower'
const flush = (host: string, seconds = 300) => onHost(host, `gfs-writecache flush --wait --timeout ${seconds}`, { timeoutMs: (seconds + 30) * 1000 })
/** Every name below `dir` on a host's brick with its content (directories as "/"), sorted. */
const tree = async (host: string, dir: string) =>
  (await onHost(host, `cd ${brick}/${dir} && find . -mindepth 1 \\( -type d -printf '%p/\\n' \\) -o \\( -type f -printf '%p ' -exec cat {} \\; \\) | sort`)).trim().split('\n')

const d = `cutoff-${Date.now()}`
let setupAt = 0

// gv0's versions made here are older than the agents' dentry drop (every 10 s) plus the clock skew they
// allow (10 s) by the time the cut test changes them: changes of what each host saw, not conflicts
test.before(async () => {
  await provisionedLab()
  await onHost('hydra', `mkdir -p /gfs/gv0/${d}/sub /gfs/gv0/${d}/gonedir && cd /gfs/gv0/${d} && echo base > old.txt && echo base > both.txt && echo gone > gone.txt`)
  setupAt = Date.now()
})

test.after.always(async () => {
  await lab.link('up')
})

test.serial("the union's gv0 client that died is mounted again by repair; the union works again, nothing cached is lost", async (t) => {
  const dir = `cutoff-dead-${Date.now()}`
  await onHost('hydra', `mkdir -p /gfs/gv0/${dir} && echo cached-before > /gfs/union/${dir}/before.txt`)
  const client = `for p in $(pgrep -x glusterfs); do [ "$(tr '\\0' '\\n' < /proc/$p/cmdline | tail -n 1)" = ${lowerClient} ] && echo $p; done; true`
  const pid = (await onHost('hydra', client)).trim()
  t.regex(pid, /^\d+$/, `one client serves ${lowerClient}`)
  await onHost('hydra', `kill -9 ${pid}`)
  await eventually(async () => (await tryOnHost('hydra', `stat -f ${lowerClient}`)).exitCode !== 0, 10_000)
  t.regex(await onHost('hydra', 'gfs-writecache status || true'), /does not answer/, 'status names the dead client')
  const repair = await provision(['repair', '--inventory', lab.inventoryName()], { timeoutMs: 15 * 60_000 })
  t.is(repair.exitCode, 0, explain(repair))
  t.regex(JSON.stringify(repair.events), /mount \/run\/gfs-writecache-union-lower again \(its gluster client does not answer\)/)
  t.is((await tryOnHost('hydra', `stat -f ${lowerClient} >/dev/null`)).exitCode, 0, 'the client answers again')
  t.regex(await onHost('hydra', 'findmnt -n -o OPTIONS /gfs/union'), new RegExp(`lowerdir=${lowerClient}`))
  t.is((await onHost('hydra', 'systemctl is-active gfs-writecache.service')).trim(), 'active')
  await onHost('hydra', `echo written-after > /gfs/union/${dir}/after.txt`)
  await flush('hydra')
  for (const h of ['hydra', 'plexus']) t.is(await onHost(h, `cat ${brick}/${dir}/before.txt ${brick}/${dir}/after.txt`), 'cached-before\nwritten-after\n', `${h}'s brick`)
})

test.serial("an install from before, its union on /gfs/gv0 and in use: the agent moves it onto its own client once nothing holds it", async (t) => {
  const dir = `cutoff-move-${Date.now()}`
  const options = 'redirect_dir=off,index=off,metacopy=off,xino=off'
  await onHost('hydra', `systemctl stop gfs-writecache.service && umount /gfs/union && mount -t overlay overlay -o lowerdir=/gfs/gv0,upperdir=/data/writecache/upper,workdir=/data/writecache/work,${options} /gfs/union`)
  const holder = (await onHost('hydra', `mkdir /gfs/union/${dir} && cd /gfs/union/${dir} && { nohup sleep 600 >/dev/null 2>&1 & echo $!; }`)).trim()
  try {
    await onHost('hydra', `systemctl start gfs-writecache.service && echo cached > /gfs/union/${dir}/kept.txt`)
    await eventually(async () => /still on \/gfs\/gv0; it moves onto .* once nothing holds it: union busy/.test(await onHost('hydra', 'gfs-writecache status || true')), 60_000, 1000)
    t.regex(await onHost('hydra', 'findmnt -n -o OPTIONS /gfs/union'), /lowerdir=\/gfs\/gv0,/, 'a union in use stays where it is')
    // the move is the agent's: a site run leaves it to it, and so does the next one (no change either time)
    for (const n of [1, 2]) {
      const site = await provision(['--inventory', lab.inventoryPath])
      t.is(site.exitCode, 0, explain(site))
      t.like(site.recap!.hosts.hydra, { changed: 0, failed: 0 }, `site run ${n}: ${JSON.stringify(site.events.filter((e) => e.type === 'task:end' && e.status === 'changed'))}`)
      t.regex(JSON.stringify(site.events), /\/gfs\/union is on its old lower \(lowerdir=\/gfs\/gv0\) and in use by pid [\d, ]+: the flush agent moves it/)
    }
    t.is((await onHost('hydra', 'systemctl is-active gfs-writecache.service')).trim(), 'active', 'the agent kept running')
  } finally {
    await onHost('hydra', `kill ${holder}`)
  }
  await eventually(async () => /lowerdir=\/run\/gfs-writecache-union-lower,/.test(await onHost('hydra', 'findmnt -n -o OPTIONS /gfs/union')), 60_000, 1000)
  t.is(await onHost('hydra', `cat /gfs/union/${dir}/kept.txt`), 'cached\n')
  await flush('hydra')
  for (const h of ['hydra', 'plexus']) t.is(await onHost(h, `cat ${brick}/${dir}/kept.txt`), 'cached\n', `${h}'s brick`)
  t.notRegex(await onHost('hydra', 'gfs-writecache status || true'), /still on \/gfs\/gv0/)
})

test.serial("hydra cut off: creates, mkdirs, renames and deletes in a directory gv0 has work through its union; once back, all published, a conflict copy", async (t) => {
  t.is((await onHost('hydra', 'findmnt -n -o OPTIONS /gfs/union')).match(/lowerdir=[^,]+/)?.[0], `lowerdir=${lowerClient}`, "the union sits on its own gv0 client")
  t.regex(await onHost('hydra', `findmnt -n -o FSTYPE,OPTIONS ${lowerClient}`), /^fuse\.glusterfs\s+ro,/, 'a read-only gluster client')
  t.regex(await onHost('hydra', 'gfs-writecache status'), new RegExp(`union lower: ${lowerClient}: .*read-only client without quorum`))
  await onHost('plexus', `ls /gfs/union/${d}/both.txt`)
  await new Promise((r) => setTimeout(r, Math.max(0, setupAt + 22_000 - Date.now())))
  await lab.link('down')
  try {
    // past network.ping-timeout (10 s): hydra's clients know plexus's brick is gone, gv0 has no quorum
    await new Promise((r) => setTimeout(r, 15_000))
    const direct = await tryOnHost('hydra', `timeout 60 sh -c "echo no > /gfs/gv0/${d}/direct.txt"`)
    t.not(direct.exitCode, 0, "hydra's gv0 refuses writes while cut off (quorum)")
    const steps = [
      `mkdir /gfs/union/${d}/newdir`,
      `echo n1 > /gfs/union/${d}/newdir/n1.txt`,
      `echo new > /gfs/union/${d}/new.txt`,
      `mkdir /gfs/union/${d}/sub/deeper && echo x > /gfs/union/${d}/sub/deeper/x.txt`,
      `mv /gfs/union/${d}/new.txt /gfs/union/${d}/renamed.txt`,
      `mv /gfs/union/${d}/old.txt /gfs/union/${d}/old-renamed.txt`,
      `rm /gfs/union/${d}/gone.txt`,
      `rmdir /gfs/union/${d}/gonedir`,
      `echo hydra-v2 > /gfs/union/${d}/both.txt`,
    ]
    for (const step of steps) {
      const r = await tryOnHost('hydra', `timeout 60 sh -c '${step}'`)
      t.is(r.exitCode, 0, `through hydra's union while cut off: ${step}: ${r.stderr.trim()}`)
    }
    t.is(await onHost('hydra', `cd /gfs/union/${d} && ls -1 | tr '\\n' ' '`), 'both.txt newdir old-renamed.txt renamed.txt sub ')
    t.is(await onHost('hydra', `cat /gfs/union/${d}/old-renamed.txt /gfs/union/${d}/sub/deeper/x.txt`), 'base\nx\n')
    // the other side changes the same name meanwhile (its gv0 has no quorum either: through its union)
    await onHost('plexus', `timeout 60 sh -c 'echo plexus-v2 > /gfs/union/${d}/both.txt'`)
    t.is((await tryOnHost('hydra', `cat ${lowerClient}/${d}/old.txt`)).stdout, 'base\n', 'the read-only client still reads gv0 from the local brick')
    t.not((await tryOnHost('hydra', `touch ${lowerClient}/${d}/ro-probe`)).exitCode, 0, 'nothing writes through the union\'s lower')
  } finally {
    await lab.link('up')
  }
  await flush('hydra')
  await flush('plexus')
  await flush('hydra')
  const expected = [
    './both.txt',
    './newdir/',
    './newdir/n1.txt n1',
    './old-renamed.txt base',
    './renamed.txt new',
    './sub/',
    './sub/deeper/',
    './sub/deeper/x.txt x',
  ]
  for (const h of ['hydra', 'plexus']) {
    const names = await tree(h, d)
    const conflicts = names.filter((n) => /^\.\/both\.conflict-(hydra|plexus)-\d{8}T\d{6}Z\.txt /.test(n))
    if (conflicts.length !== 1) {
      for (const o of ['hydra', 'plexus']) {
        t.log(`${o}'s upper: ${await onHost(o, `cd /data/writecache/upper && find ${d} -printf '%p %y %s %TT\\n' 2>&1 || true`)}`)
        t.log(`${o}'s gv0 both.*: ${await onHost(o, `stat -c '%n %s %y %z' /gfs/gv0/${d}/both* 2>&1 || true`)}`)
        t.log(`${o}'s agent:\n${await onHost(o, `journalctl -u gfs-writecache.service --no-pager --since '-10min' | grep -v 'dentr' | tail -n 60`)}`)
        t.log(`${o}'s status:\n${await onHost(o, 'gfs-writecache status 2>&1 || true')}`)
      }
    }
    t.is(conflicts.length, 1, `${h}: one conflict copy of both.txt: ${names.join(' | ')}`)
    const both = names.find((n) => n.startsWith('./both.txt '))
    // whichever host published last keeps its version as the conflict copy: both versions are there
    t.deepEqual([both?.split(' ')[1], conflicts[0]?.split(' ')[1]].sort(), ['hydra-v2', 'plexus-v2'], `${h}: both versions of both.txt kept`)
    t.deepEqual(names.filter((n) => !n.startsWith('./both.')).concat('./both.txt').sort(), expected, `${h}'s brick`)
  }
  t.is((await onHost('hydra', `ls -a /gfs/gv0/${d} | grep -c gfs-writecache.tmp || true`)).trim(), '0', 'no temporaries left in gv0')
})
