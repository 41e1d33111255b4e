// Flush contract 9 between the lab's hosts: an ordinary user on plexus replaces a gv0 directory, below which
// hydra has cached changes, by a symlink to /root/outside. hydra's agent (root) must not follow it: both
// hosts' /root/outside stay as they were, and hydra's changes are reported and kept in its cache.
import test from 'ava'
import { eventually, onHost, provisionedLab, tryOnHost } from '../helpers/lab.ts'

const USER = 'setpriv --reuid=1000 --regid=1000 --clear-groups'
/** Everything about /root/outside that an operation could change, content included. */
const outsideState = (host: string) =>
  onHost(host, `cd /root/outside && find . -printf '%p %y %U:%G %m %s %T@ %C@ %l\\n' | sort && find . -type f -exec sha256sum {} + | sort`)

test.before(provisionedLab)

test.serial('a gv0 directory replaced by a symlink to /root/outside by a user on plexus: hydra touches nothing outside', async (t) => {
  const proj = `proj-${Date.now()}`
  // a user's project, published from hydra
  await onHost('hydra', `mkdir -p /gfs/union/${proj}/d/sub && echo v1 > /gfs/union/${proj}/d/sub/x.sh && chown -R 1000:1000 /gfs/union/${proj}`)
  await onHost('hydra', 'gfs-writecache flush --wait --timeout 240', { timeoutMs: 270_000 })
  // the union's first lookup of a now merged directory has overlayfs mark it in upper (origin xattr), which
  // moves its ctime once: let that happen and be published, so that later only the changed entries are pending
  await onHost('hydra', `echo 2 > /proc/sys/vm/drop_caches && ls -laR /gfs/union/${proj} > /dev/null`)
  await onHost('hydra', 'gfs-writecache flush --wait --timeout 240', { timeoutMs: 270_000 })
  t.is(JSON.parse(await onHost('hydra', 'gfs-writecache status --json')).pending.entries, 0)
  // a root-only directory on both hosts, shaped like the project, with a file named like the one published
  for (const h of ['hydra', 'plexus']) {
    await onHost(h, 'rm -rf /root/outside && mkdir -p /root/outside/sub && echo "root secret" > /root/outside/sub/x.sh && ' +
      'echo "root secret" > /root/outside/sub/keep && chmod 600 /root/outside/sub/* && chmod 700 /root/outside /root/outside/sub')
  }
  const before = { hydra: await outsideState('hydra'), plexus: await outsideState('plexus') }
  // hydra caches changes below proj/d while its agent is stopped
  await onHost('hydra', 'systemctl stop gfs-writecache.service')
  await onHost('hydra', `cd /gfs/union/${proj}/d/sub && echo v2 > x.sh && echo new > new.sh && chown 1000:1000 new.sh`)
  // the user on plexus: proj is theirs, so they may swap its d for a symlink anywhere
  await onHost('plexus', `${USER} sh -c 'mv /gfs/gv0/${proj}/d /gfs/gv0/${proj}/d.away && ln -s /root/outside /gfs/gv0/${proj}/d'`)
  t.is(await onHost('plexus', `readlink /gfs/gv0/${proj}/d`), '/root/outside\n')
  // the tests after this one need a hydra with nothing stuck: the user undoes the swap, and hydra's cached
  // changes then drain as usual (which also shows they were kept, not dropped)
  t.teardown(async () => {
    await onHost('plexus', `${USER} sh -c 'rm /gfs/gv0/${proj}/d && mv /gfs/gv0/${proj}/d.away /gfs/gv0/${proj}/d'`)
    // hydra's gv0 client may still answer from its cached entry for the symlink for a moment: a flush then
    // names the entries as stuck, and the next one, after the entry expired, publishes them
    await eventually(async () => {
      await onHost('hydra', 'echo 2 > /proc/sys/vm/drop_caches')
      const r = await tryOnHost('hydra', 'gfs-writecache flush --wait --timeout 240')
      return r.exitCode === 0 || `${r.stdout}${r.stderr}`.trim()
    }, 60_000, 2000)
  })
  await onHost('hydra', 'systemctl start gfs-writecache.service')
  // entries that cannot be published keep a waiting flush from succeeding: its exit code is not the point
  const flushed = await tryOnHost('hydra', 'gfs-writecache flush --wait --timeout 30')
  t.log(`flush: exit ${flushed.exitCode}: ${flushed.stdout}${flushed.stderr}`.trim())
  for (const h of ['hydra', 'plexus'] as const) {
    t.is(await outsideState(h), before[h], `${h}: /root/outside unchanged, nothing created there`)
  }
  // status lists the entries that cannot be published; an agent restarted meanwhile (its errors are not kept
  // on disk) lists them again after its next pass: what a user reads within a minute
  let status: any
  await eventually(async () => {
    status = JSON.parse(await onHost('hydra', 'gfs-writecache status --json'))
    const messages: string[] = status.errors.map((e: { message: string }) => e.message)
    const missing = [`${proj}/d/sub/x.sh`, `${proj}/d/sub/new.sh`].filter((rel) => !messages.some((m) => m.startsWith(`${rel}:`) && /symbolic link/.test(m)))
    return missing.length === 0 || `not reported: ${missing.join(', ')}; status errors (${status.errorsActive}): ${messages.join(' | ')}`
  }, 60_000, 2000)
  t.true(status.pending.entries >= 2, 'still pending, not dropped')
  t.is(await onHost('hydra', `cat /data/writecache/upper/${proj}/d/sub/x.sh`), 'v2\n', 'the local version is kept in the cache')
  t.is(await onHost('hydra', `cat /data/writecache/upper/${proj}/d/sub/new.sh`), 'new\n')
  t.is(await onHost('plexus', `cat /gfs/gv0/${proj}/d.away/sub/x.sh`), 'v1\n', 'gv0 still holds the user\'s moved directory as it was')
})
