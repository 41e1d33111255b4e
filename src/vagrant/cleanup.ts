// The Vagrant lab's VMs are destroyed also when the process driving them is stopped: ava's timeout
// (SIGTERM to the test's worker, whose after.always hooks then never run), Ctrl-C, a closed terminal.
// SIGKILL cannot be caught: the next run destroys what it finds first.
import { spawnSync } from 'node:child_process'
import { repoRoot } from '../lab/paths.ts'
import { vagrantEnv } from './machines.ts'

// Every descendant of PID, children first reached; stopped with TERM, then KILL after a minute, so that
// no `vagrant up` still holds the machines' lock when `vagrant destroy -f` runs. A zombie counts as stopped
// (where PID 1 does not reap orphans, they stay).
const stopDescendants = `
tree() { for k in $(ps -o pid= --ppid "$1"); do echo "$k"; tree "$k"; done; }
pids=$(tree "$1")
[ -n "$pids" ] || exit 0
kill -TERM $pids 2>/dev/null
for i in $(seq 60); do
  alive=""; for p in $pids; do ps -o stat= -p "$p" | grep -q '^[^Z]' && alive=1; done
  [ -n "$alive" ] || exit 0
  sleep 1
done
kill -KILL $pids 2>/dev/null; sleep 1
`

/** Stops this process's own children, then `vagrant destroy -f`; synchronous, for a signal handler. */
export function destroyNow(log: (line: string) => void, env: NodeJS.ProcessEnv = vagrantEnv()): number {
  spawnSync('sh', ['-c', stopDescendants, 'stop', String(process.pid)], { stdio: 'ignore' })
  log('vagrant destroy -f (stopped before the end)')
  const r = spawnSync('vagrant', ['destroy', '-f'], { cwd: repoRoot, env, stdio: ['ignore', 'inherit', 'inherit'], timeout: 10 * 60_000 })
  return r.status ?? 1
}

/** On SIGTERM, SIGINT or SIGHUP: destroy the VMs, then exit with the signal's shell code. */
export function destroyOnSignal(log: (line: string) => void, env?: NodeJS.ProcessEnv): () => void {
  const codes = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 } as const
  const handlers = Object.entries(codes).map(([signal, code]) => {
    const handler = () => {
      log(`${signal}: destroying the VMs before exiting`)
      destroyNow(log, env)
      process.exit(code)
    }
    process.once(signal, handler)
    return [signal, handler] as const
  })
  return () => handlers.forEach(([signal, handler]) => process.off(signal, handler))
}
