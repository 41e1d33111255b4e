// The agent SIGKILLed in the middle of an evict on hydra: after the service is started again and
// flushed, every published file is on both bricks with its content (nothing taken for a delete).
import test from 'ava'
import { eventually, onHost, provisionedLab, tryOnHost } from '../helpers/lab.ts'

const DIRS = 8
const PER_DIR = 300
const ROOT = `crash-evict-${Date.now()}`

test.before(provisionedLab)

/** One line per file, "path content", sorted: the same on both bricks and as written. */
const listing = (dir: string) =>
  `cd ${dir} && find . -type f ! -name '.gfs-writecache.tmp.*' | LC_ALL=C sort | while read -r f; do printf '%s %s\\n' "$f" "$(cat "$f")"; done | sha256sum`

test.serial('SIGKILL during gfs-writecache evict: every published file stays on both bricks with its content', async (t) => {
  const upper = JSON.parse(await onHost('hydra', 'cat /etc/gfs-writecache/config.json')).upper as string
  const write = [
    `mkdir -p /gfs/union/${ROOT}`,
    `for d in $(seq 0 ${DIRS - 1}); do mkdir -p /gfs/union/${ROOT}/d$d; for i in $(seq 0 ${PER_DIR - 1}); do echo "file $d/$i" > /gfs/union/${ROOT}/d$d/f$i; done; done`,
  ].join(' && ')
  await onHost('hydra', write, { timeoutMs: 300_000 })
  await onHost('hydra', 'gfs-writecache flush --wait --timeout 900', { timeoutMs: 960_000 })
  const expected = await onHost('hydra', listing(`/gfs/union/${ROOT}`))
  const total = DIRS * PER_DIR
  t.is(await onHost('hydra', `find /data/brick1/gv0/${ROOT} -type f | wc -l`), `${total}\n`, 'all published before the evict')

  // kill the daemon once its reclaim has removed a few hundred of the files from upper
  const killer = [
    'pid=$(systemctl show -p MainPID --value gfs-writecache.service)',
    '(gfs-writecache evict >/tmp/evict.out 2>&1 &)',
    `while :; do n=$(find ${upper}/${ROOT} -type f 2>/dev/null | wc -l); [ "$n" -le ${total - 300} ] && break; sleep 0.01; done`,
    'kill -9 $pid',
    `echo "killed $pid with $(find ${upper}/${ROOT} -type f | wc -l) files left in upper"`,
  ].join('; ')
  t.log(await onHost('hydra', killer, { timeoutMs: 600_000 }))
  // nothing may hold the union: it is unmounted already, or a plain umount works
  const held = await tryOnHost('hydra', 'mountpoint -q /gfs/union && umount /gfs/union; mountpoint -q /gfs/union && echo mounted || echo unmounted')
  t.is(held.stdout.trim(), 'unmounted', `the union can be unmounted: ${held.stderr}`)

  await onHost('hydra', 'systemctl restart gfs-writecache.service', { timeoutMs: 900_000 })
  await eventually(async () => (await tryOnHost('hydra', 'mountpoint -q /gfs/union')).exitCode === 0 || 'union not mounted again', 300_000, 1000)
  await eventually(async () => (await tryOnHost('hydra', 'systemctl is-active gfs-writecache.service')).stdout.trim() === 'active' || 'agent not active', 120_000, 1000)
  await onHost('hydra', 'gfs-writecache flush --wait --timeout 900', { timeoutMs: 960_000 })
  for (const h of ['hydra', 'plexus']) {
    t.is(await onHost(h, `find /data/brick1/gv0/${ROOT} -type f ! -name '.gfs-writecache.tmp.*' | wc -l`), `${total}\n`, `${h}: every file still on the brick`)
    t.is(await onHost(h, listing(`/data/brick1/gv0/${ROOT}`)), expected, `${h}: brick holds every file with its content`)
  }
  t.is(await onHost('hydra', listing(`/gfs/union/${ROOT}`)), expected, 'the union shows every file with its content')
})
