// A gv0 client that lives and answers nothing: glusterfs 10.3's client can crash on a graph switch and hang
// in its crash handler. A stopped client stands in for it. The agent and its status keep answering and say
// so, the union keeps taking writes, and repair kills the client, mounts gv0 again and the backlog drains.
import test from 'ava'
import { eventually, labInventory, onHost, provisionedLab, tryOnHost } from '../helpers/lab.ts'
import { explain, provision } from '../helpers/provision.ts'

const dir = `hung-${Date.now().toString(36)}`
const clientOf = (path: string) => `for p in $(pgrep -x glusterfs); do [ "$(tr '\\0' '\\n' < /proc/$p/cmdline | tail -n 1)" = ${path} ] && echo $p; done; true`
const status = async () => {
  const r = await tryOnHost('hydra', 'gfs-writecache status --json')
  return JSON.parse(r.stdout) as { lower: { problem: string | null }; errors: { message: string }[] }
}

test.before(provisionedLab)

test.serial("gv0's client hangs: status says so within its probe's time, the union takes writes; repair kills it, mounts gv0 again, and they are published", async (t) => {
  await onHost('hydra', `mkdir -p /gfs/union/${dir} && echo before > /gfs/union/${dir}/before.txt && gfs-writecache flush --wait --timeout 120`, { timeoutMs: 150_000 })
  const pid = (await onHost('hydra', clientOf('/gfs/gv0'))).trim()
  t.regex(pid, /^\d+$/, 'one client serves /gfs/gv0')
  await onHost('hydra', `kill -STOP ${pid}`)
  try {
    await onHost('hydra', `for i in $(seq 1 20); do echo "during $i" > /gfs/union/${dir}/during-$i.txt; done`, { timeoutMs: 30_000 })
    await eventually(async () => {
      const s = await status()
      return /no answer in \d+ s/.test(s.lower.problem ?? '') || `lower: ${s.lower.problem}`
    }, 90_000)
    const started = Date.now()
    await status()
    t.true(Date.now() - started < 10_000, `status took ${Date.now() - started} ms with the client still hung`)
  } catch (err) {
    await tryOnHost('hydra', `kill -CONT ${pid}`)
    throw err
  }
  const repair = await provision(['repair', '--inventory', labInventory()], { timeoutMs: 15 * 60_000 })
  t.is(repair.exitCode, 0, explain(repair))
  t.regex(JSON.stringify(repair.events), /kill the gluster client of \/gfs\/gv0: it answers nothing/)
  t.not((await tryOnHost('hydra', `kill -0 ${pid}`)).exitCode, 0, 'the hung client is gone')
  t.regex((await onHost('hydra', clientOf('/gfs/gv0'))).trim(), /^\d+$/, 'a new client serves /gfs/gv0')
  t.is((await onHost('hydra', 'findmnt -n -o FSTYPE /gfs/union')).trim(), 'overlay')
  t.is((await onHost('hydra', 'systemctl is-active gfs-writecache.service')).trim(), 'active')
  await onHost('hydra', 'gfs-writecache flush --wait --timeout 180', { timeoutMs: 210_000 })
  for (const h of ['hydra', 'plexus']) {
    t.is(await onHost(h, `cat /data/brick1/gv0/${dir}/before.txt`), 'before\n', `${h}'s brick`)
    t.is((await onHost(h, `cat /data/brick1/gv0/${dir}/during-*.txt | wc -l`)).trim(), '20', `${h}'s brick`)
  }
  t.is((await status()).lower.problem, null)
})
