// Shrinks a failing sequence: drops chunks of operations while the run still violates the contract
// (each candidate is tried twice, since the agent's timing varies).
//   node --import tsx test/agent/model/minimise.ts SEED [LENGTH]   (GFS_MIX as for the test)
import { describe, generate, parseKills, parseMix, type Op } from './generate.ts'
import { LocalWorld } from './local-world.ts'
import { runSequence } from './runner.ts'

async function violations(ops: Op[]): Promise<string[]> {
  const world = await LocalWorld.create(() => {}, 0.1)
  try {
    return (await runSequence(world, ops)).violations
  } finally {
    await world.dispose()
  }
}

async function fails(ops: Op[], tries = 2): Promise<string[] | null> {
  for (let i = 0; i < tries; i++) {
    const v = await violations(ops)
    if (v.length) return v
  }
  return null
}

export async function minimise(ops: Op[], log: (l: string) => void): Promise<{ ops: Op[]; violations: string[] }> {
  let best = await fails(ops, 3)
  if (!best) throw new Error('the sequence does not fail')
  let chunk = Math.ceil(ops.length / 2)
  while (chunk >= 1) {
    let i = 0
    let shrunk = false
    while (i < ops.length) {
      const candidate = [...ops.slice(0, i), ...ops.slice(i + chunk)]
      const v = candidate.length ? await fails(candidate) : null
      if (v) {
        ops = candidate
        best = v
        shrunk = true
        log(`${ops.length} operations still fail`)
      } else i += chunk
    }
    if (!shrunk) chunk = Math.floor(chunk / 2)
  }
  return { ops, violations: best }
}

if (process.argv[1]?.endsWith('minimise.ts')) {
  const seed = Number(process.argv[2])
  const ops = process.env.GFS_OPS ? (JSON.parse(process.env.GFS_OPS) as Op[]) : generate(seed, Number(process.argv[3] ?? 50), parseMix(process.env.GFS_MIX), parseKills(process.env.GFS_KILLS))
  const r = await minimise(ops, (l) => console.error(l))
  console.log(`seed ${seed}, minimal sequence (${r.ops.length} operations):`)
  for (const op of r.ops) console.log(`  ${describe(op)}`)
  for (const v of r.violations) console.log(`  ! ${v}`)
  console.log(`GFS_OPS='${JSON.stringify(r.ops)}'`)
}
