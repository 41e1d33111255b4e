// Two lab instances at once: this process's (GFS_LAB_INSTANCE) through the API and a second one through the
// CLI. Each has its own names and addresses, shaping one leaves the other alone, and down removes only its own.
// The second instance is GFS_LAB_OTHER_INSTANCE, or the next one; the test refuses to touch it when it is up.
import test from 'ava'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as lab from '../../src/lab/api.ts'
import { leftovers } from '../../src/lab/leftovers.ts'
import { baseRoot, repoRoot } from '../../src/lab/paths.ts'
import { namePrefix, parseInstance } from '../../src/lab/instance.ts'
import { requireRoot } from '../helpers/lab.ts'

const other = parseInstance(process.env.GFS_LAB_OTHER_INSTANCE ?? String(lab.instance === 9 ? 8 : lab.instance + 1))

function otherLab(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/lab/cli.ts'), ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, GFS_LAB_INSTANCE: String(other) },
    timeout: 10 * 60 * 1000,
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

async function avgRtt(ping: Promise<{ stdout: string }> | { stdout: string }): Promise<number> {
  const out = (await ping).stdout
  const avg = /= [\d.]+\/([\d.]+)\//.exec(out)?.[1]
  if (!avg) throw new Error(`no ping summary in: ${out}`)
  return Number(avg)
}

const pingPlexus = ['ping', '-c', '5', '-i', '0.3', 'plexus']

// Whatever happens, neither lab is left up for the next test file.
test.after.always(async () => {
  otherLab('down')
  await lab.down()
})

test.serial('two instances run at once; shaping and taking down one leaves the other untouched', async (t) => {
  t.timeout(10 * 60 * 1000)
  requireRoot()
  t.not(other, lab.instance)
  const before = otherLab('status', '--json')
  if (JSON.parse(before.stdout).state) throw new Error(`lab instance ${other} is in use; set GFS_LAB_OTHER_INSTANCE to a free one`)

  await lab.up()
  const up = otherLab('up')
  t.is(up.code, 0, up.stderr)
  t.is(up.stdout.trim(), join(repoRoot, 'inventory', `lab-${other}.yaml`))
  const otherStatus = JSON.parse(otherLab('status', '--json').stdout)
  t.true(otherStatus.up)
  const mine = await lab.status()
  t.true(mine.up)
  // Same host names, different management addresses.
  t.deepEqual(otherStatus.hosts.map((h: { name: string }) => h.name), mine.hosts.map((h) => h.name))
  t.notDeepEqual(otherStatus.hosts.map((h: { management: string }) => h.management), mine.hosts.map((h) => h.management))
  t.is((await lab.exec('hydra', ['hostname'])).stdout, 'hydra\n')
  t.is(otherLab('exec', 'hydra', '--', 'hostname').stdout, 'hydra\n')

  await lab.shape(2500, { rttMs: 60 })
  const mineRtt = await avgRtt(lab.exec('hydra', pingPlexus))
  const otherRtt = await avgRtt(otherLab('exec', 'hydra', '--', ...pingPlexus))
  t.log(`rtt: this instance ${mineRtt} ms (shaped to 60), instance ${other} ${otherRtt} ms`)
  // Bounds leave room for a loaded machine (the delay line runs in user space); the point is which lab moved.
  t.true(mineRtt > 58 && mineRtt < 90, `shaped RTT ${mineRtt}`)
  t.true(otherRtt > 18 && otherRtt < 45, `other instance's RTT changed to ${otherRtt}`)

  const down = otherLab('down')
  t.is(down.code, 0, down.stderr)
  const otherRoot = join(baseRoot, String(other), 'hosts') + '/'
  t.false(readFileSync('/proc/self/mountinfo', 'utf8').includes(otherRoot))
  t.false(spawnSync('losetup', ['--list', '--noheadings'], { encoding: 'utf8' }).stdout.includes(otherRoot))
  t.false(new RegExp(`^\\d+:\\s+${namePrefix(other)}`, 'm').test(spawnSync('ip', ['-o', 'link'], { encoding: 'utf8' }).stdout))
  // This instance did not notice.
  t.true((await lab.status()).up)
  t.is((await lab.exec('plexus', ['hostname'])).stdout, 'plexus\n')

  await lab.down()
  t.deepEqual(await leftovers(), [])
})
