// Model-based randomized test of two agents over one gv0 (test/agent/model/two-hosts.ts): users on hydra
// and plexus change the same names through their unions while both agents publish, die and evict; no
// version either user wrote may be lost.
//   GFS_SEED=123   runs that seed     GFS_SEEDS=20  runs 20 random seeds (each printed)
//   GFS_OPS='[...]' runs a printed sequence     GFS_LENGTH=60  operations per sequence
//   GFS_TIMEOUT_S=300  a longer limit per sequence      GFS_TRACE=1  prints the sequence when it passes
import test, { type ExecutionContext } from 'ava'
import { LocalWorld } from './model/local-world.ts'
import { describeTwoHost, generateTwoHost, reportTwoHosts, runTwoHosts, type TwoHostOp } from './model/two-hosts.ts'

/** Seeds CI runs: about twenty seconds each. */
const CI_SEEDS = [1, 2, 3, 4]
const LENGTH = Number(process.env.GFS_LENGTH ?? 40)

function seeds(): number[] {
  if (process.env.GFS_SEED) return [Number(process.env.GFS_SEED)]
  if (process.env.GFS_SEEDS) return Array.from({ length: Number(process.env.GFS_SEEDS) }, () => Math.floor(Math.random() * 2 ** 31))
  return CI_SEEDS
}

async function check(t: ExecutionContext, seed: number | string, ops: TwoHostOp[]): Promise<void> {
  t.timeout(Number(process.env.GFS_TIMEOUT_S ?? 120) * 1000)
  const log = (l: string) => t.log(l)
  // real dentry drops every 2 s on both (one kernel): each union sees the other host's publishes
  const hydra = await LocalWorld.create(log, 0.1, { host: 'hydra', dropSeconds: 2, nameLockHoldSeconds: 0.5 })
  let plexus: LocalWorld | null = null
  try {
    plexus = await LocalWorld.create(log, 0.1, { host: 'plexus', lower: hydra.cfg.lower, dropSeconds: 2, nameLockHoldSeconds: 0.5 })
    const r = await runTwoHosts({ hydra, plexus }, ops)
    if (r.violations.length || process.env.GFS_TRACE) {
      t.log(reportTwoHosts(seed, r, ops))
      for (const w of [hydra, plexus]) t.log([`${w.cfg.host}'s agent output (last lines):`, ...w.recentOutput()].join('\n'))
    }
    t.deepEqual(r.violations, [], `${ops.length} operations: ${ops.slice(0, 3).map(describeTwoHost).join(', ')}, ...`)
  } finally {
    // plexus's mounts stand on hydra's gv0: they go first
    await plexus?.dispose()
    await hydra.dispose()
  }
}

if (process.env.GFS_OPS) {
  const label = process.env.GFS_SEED ? Number(process.env.GFS_SEED) : 'the given sequence'
  test.serial(`two hosts: ${label}`, (t) => check(t, label, JSON.parse(process.env.GFS_OPS as string) as TwoHostOp[]))
} else for (const seed of seeds()) test.serial(`two hosts: seed ${seed}`, (t) => check(t, seed, generateTwoHost(seed, LENGTH)))
