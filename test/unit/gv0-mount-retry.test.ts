// gv0's mount under a slow peer: the site playbook's own 'gv0 mounted' task, run by the engine against
// hosts whose first mount fails (the client gave up on a brick still starting) or whose other brick is
// not online yet. The host must come out mounted, with the reason shown while it waits.
import test from 'ava'
import type { Command } from '../../src/engine/command.ts'
import { collect } from '../../src/engine/events.ts'
import { fakeExecutor, type FakeReply } from '../../src/engine/fake-executor.ts'
import { recapSucceeded, runPlaybook } from '../../src/engine/play.ts'
import type { Playbook } from '../../src/engine/task.ts'
import { applianceTasks } from '../../src/tasks/appliance.ts'
import { bundle } from '../cases/agent.ts'
import { inventory } from '../helpers/hosts.ts'

const mountTask = applianceTasks(bundle, { createVolume: true }).find((t) => t.name === 'gv0 mounted')!
const playbook: Playbook = { name: 'mount', description: 'gv0 only', tasks: [mountTask] }

const statusXml = (online: Record<string, boolean>) =>
  '<?xml version="1.0"?><cliOutput><opRet>0</opRet><opErrno>0</opErrno><opErrstr/><volStatus><volumes><volume><volName>gv0</volName>' +
  Object.entries(online).map(([h, up], i) => `<node><hostname>${h}</hostname><path>/data/brick1/gv0</path><peerid>p${i}</peerid><status>${up ? 1 : 0}</status><port>${up ? 49152 : 'N/A'}</port><pid>${up ? 100 + i : -1}</pid></node>`).join('') +
  '</volume></volumes></volStatus></cliOutput>'

const fuse = JSON.stringify({ filesystems: [{ target: '/gfs/gv0', source: 'hydra:/gv0', fstype: 'fuse.glusterfs', options: 'rw,allow_other' }] })
const clientError = '[2026-11-30 06:53:11.012345 +0000] E [MSGID: 114058] [client-handshake.c:1201:client_query_portmap_cbk] 0-gv0-client-1: failed to get the port number for remote subvolume.'

/**
 * One host as seen through its commands: `starts` mount tries fail before one works; the other brick
 * comes online after `brickLate` status reads. A failing `systemctl start` exits 1 as systemd does, unless
 * the command tolerates failure (`|| true`), as a shell would make of it.
 */
function host(name: string, options: { failingStarts: number; brickLate: number }) {
  let starts = 0
  let statusReads = 0
  let mounted = false
  const replies = (): FakeReply[] => [
    { match: 'findmnt', exitCode: mounted ? 0 : 1, stdout: mounted ? fuse : '' },
    { match: 'systemctl show -p ActiveState,Result', stdout: starts > 0 && !mounted ? `ActiveState=failed\nResult=exit-code\n${clientError}\n` : 'ActiveState=inactive\nResult=success\n' },
    { match: 'volume status', stdout: statusXml({ hydra: true, plexus: ++statusReads > options.brickLate }) },
  ]
  const ran: string[] = []
  return {
    ran,
    starts: () => starts,
    executor: {
      host: name,
      async run(command: Command) {
        ran.push(command.display)
        if (command.kind === 'exec' && command.script.includes('systemctl start gfs-gv0.mount')) {
          starts++
          const ok = starts > options.failingStarts
          mounted ||= ok
          const exitCode = ok || command.script.includes('|| true') ? 0 : 1
          return { host: name, command: command.display, exitCode, stdout: '', stderr: ok ? '' : 'Job for gfs-gv0.mount failed.', durationMs: 0 }
        }
        return fakeExecutor(name, replies()).run(command)
      },
      async close() {},
    },
  }
}

async function run(options: { failingStarts: number; brickLate: number }) {
  const { sink, events } = collect()
  const inv = inventory()
  const hosts = { hydra: host('hydra', { failingStarts: 0, brickLate: 0 }), plexus: host('plexus', options) }
  const recap = await runPlaybook({ playbook, inventory: inv, hosts: inv.hosts, sink, sleep: async () => {}, connect: async (h) => hosts[h.name as 'hydra' | 'plexus'].executor })
  const progress = events.flatMap((e) => (e.type === 'progress' && e.host === 'plexus' ? [e.message] : []))
  const end = events.find((e) => e.type === 'task:end' && e.host === 'plexus')
  return { recap, progress, end, plexus: hosts.plexus }
}

test('a first mount that fails is tried again, and the host ends mounted', async (t) => {
  const { recap, progress, end, plexus } = await run({ failingStarts: 2, brickLate: 0 })
  t.true(recapSucceeded(recap), JSON.stringify(end))
  t.is(recap.hosts.plexus!.changed, 1)
  t.is(plexus.starts(), 3)
  t.true(progress.some((m) => m.includes('the last try failed: exit-code; client log: 0-gv0-client-1: failed to get the port number')), progress.join('\n'))
})

test('the mount waits for the other host\'s brick, saying which, and mounts once it is online', async (t) => {
  const { recap, progress, plexus } = await run({ failingStarts: 0, brickLate: 3 })
  t.true(recapSucceeded(recap))
  t.is(plexus.starts(), 1, 'no mount tried while a brick was down')
  t.true(progress.some((m) => m.includes('bricks online: hydra:/data/brick1/gv0') && !m.includes('plexus:/')), progress.join('\n'))
})

test('a mount that keeps failing fails the host after the tries, with the client\'s last error', async (t) => {
  const { recap, end, plexus } = await run({ failingStarts: 1000, brickLate: 0 })
  t.false(recapSucceeded(recap))
  t.is(end?.type === 'task:end' && end.status, 'failed')
  const message = end?.type === 'task:end' ? end.message ?? '' : ''
  t.regex(message, /gave up after \d+ tries: mount \/gfs\/gv0 \(the last try failed: exit-code; client log: 0-gv0-client-1: failed to get the port number/)
  t.true(plexus.starts() > 10)
})
