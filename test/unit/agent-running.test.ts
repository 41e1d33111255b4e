// The agent's settle check runs for real against a stand-in systemctl: a start is only a success once the
// unit stays active, and a crash loop fails with the unit's state and journal instead of passing.
import test from 'ava'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { localExecutor } from '../../src/engine/local-executor.ts'
import { agentSettled, SETTLE_LIMIT_SECONDS, SETTLE_SECONDS } from '../../src/tasks/agent-running.ts'

/** A PATH with stand-ins: systemctl answers ActiveState from the `states` list (one per ask), sleep returns at once. */
function standIns(states: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'gfs-settle-'))
  writeFileSync(join(dir, 'states'), states.join('\n') + '\n')
  const script = (name: string, body: string) => writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 })
  // each ActiveState ask takes the next state (the last one repeats); SubState and NRestarts are fixed
  script('systemctl', `case "$*" in *ActiveState*) s=$(head -n 1 ${dir}/states); [ "$(wc -l < ${dir}/states)" -gt 1 ] && sed -i 1d ${dir}/states; echo "$s"; echo x >> ${dir}/asked;; *SubState*) echo sub;; *NRestarts*) echo 7;; esac`)
  script('journalctl', 'echo "agent: gv0 is not mounted"')
  script('sleep', ':')
  return { dir, asked: () => readFileSync(join(dir, 'asked'), 'utf8').split('\n').filter(Boolean).length }
}

const run = (dir: string) => localExecutor('hydra').run({ ...agentSettled, script: `PATH=${dir}:/usr/bin:/bin; export PATH; ${agentSettled.script}` })

test('settled: an agent that crashes once and then stays active passes after enough active samples in a row', async (t) => {
  const s = standIns(['activating', 'active', 'activating', 'activating', 'active'])
  const r = await run(s.dir)
  t.is(r.exitCode, 0, r.stderr)
  // the active sample before the second crash does not count
  t.is(s.asked(), 4 + SETTLE_SECONDS)
})

test('settled: an agent stuck activating (a crash loop) fails naming its state, restarts and journal', async (t) => {
  const s = standIns(['activating'])
  const r = await run(s.dir)
  t.is(r.exitCode, 1)
  t.is(s.asked(), SETTLE_LIMIT_SECONDS)
  t.regex(r.stderr, /gfs-writecache\.service did not stay active within 90 s \(now activating\/sub, restarted 7 times\)/)
  t.regex(r.stderr, /gv0 is not mounted/)
})
