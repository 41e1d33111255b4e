// The model-based randomized test against real gluster: hydra's union and agent (systemd), plexus
// writing straight into gv0, agent kills with `systemctl kill -s KILL`, then a drain; gv0 must hold
// what the model says the flush contract promises (see test/agent/model.test.ts for the local version).
//   GFS_SEED=123 runs that seed instead of the fixed ones; GFS_MIX and GFS_LENGTH as locally
import test from 'ava'
import { FULL_MIX, generate, parseMix, type Op } from '../agent/model/generate.ts'
import { LabWorld } from '../agent/model/lab-world.ts'
import { report, runSequence } from '../agent/model/runner.ts'
import { lab, labInventory, onHost, requireRoot } from '../helpers/lab.ts'
import { explain, provision } from '../helpers/provision.ts'

// Seed 14 once found the oracle wrong: an rmdir through the union that succeeded while the union still
// showed gv0's copy of the directory (no whiteout); the agent then applied the delete, as it should.
const SEEDS = process.env.GFS_SEED ? [Number(process.env.GFS_SEED)] : [14, 15, 16]
const LENGTH = Number(process.env.GFS_LENGTH ?? 50)
// no offline evict or power cut here: the lab kills the running agent and its evict, by time
const mix = parseMix(process.env.GFS_MIX, { ...FULL_MIX, offlineEvict: 0, reboot: 0, sleep: 6 })
const CONFIG = '/etc/gfs-writecache/config.json'
let savedConfig = ''

test.before(async () => {
  requireRoot()
  await lab.up({ log: () => {} })
  await lab.link('up')
  await lab.shape(null, { rttMs: 20 })
  const site = await provision(['--inventory', labInventory()], { timeoutMs: 20 * 60_000 })
  if (site.exitCode !== 0) throw new Error(`site playbook failed on the lab: ${explain(site)}`)
  // a short settle time keeps the run short; the next site run puts the inventory's value back
  savedConfig = await onHost('hydra', `cat ${CONFIG}`)
  const cfg = { ...JSON.parse(savedConfig), settleSeconds: 0.2, scanIntervalSeconds: 2 }
  await onHost('hydra', `cat > ${CONFIG} && systemctl restart gfs-writecache.service`, { input: JSON.stringify(cfg) })
})

test.after.always(async () => {
  if (savedConfig) await onHost('hydra', `cat > ${CONFIG} && systemctl restart gfs-writecache.service`, { input: savedConfig })
})

for (const seed of SEEDS) {
  test.serial(`model in the lab: seed ${seed}`, async (t) => {
    const ops: Op[] = process.env.GFS_OPS ? JSON.parse(process.env.GFS_OPS) : generate(seed, LENGTH, mix)
    const world = await LabWorld.create(`model-${seed}-${Date.now()}`, (l) => t.log(l))
    t.teardown(() => world.dispose())
    const r = await runSequence(world, ops)
    if (r.violations.length || process.env.GFS_TRACE) t.log(report(seed, r, ops))
    t.deepEqual(r.violations, [], `seed ${seed}`)
  })
}
