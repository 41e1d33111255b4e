// The agent's watchdog beat: its period from systemd's environment, and the unit that asks for it.
import test from 'ava'
import { watchdogInterval } from '../../src/agent/service/watchdog.ts'
import { agentUnits } from '../../src/agent/service/units.ts'

test('beats three times per watchdog period, only for the process systemd watches', (t) => {
  t.is(watchdogInterval({ NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '60000000' }, 42), 20_000)
  t.is(watchdogInterval({ NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '60000000', WATCHDOG_PID: '42' }, 42), 20_000)
  t.is(watchdogInterval({ NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '60000000', WATCHDOG_PID: '7' }, 42), undefined, 'a child of the agent')
  t.is(watchdogInterval({ WATCHDOG_USEC: '60000000' }, 42), undefined, 'not under systemd')
  t.is(watchdogInterval({ NOTIFY_SOCKET: '/run/systemd/notify' }, 42), undefined, 'no watchdog configured')
})

test('units: the agent asks for a watchdog and is hardened without a mount namespace; prepare is bounded', (t) => {
  const [prepare, mount, agent] = agentUnits({ upper: '/u', work: '/w', lower: '/gfs/gv0', union: '/gfs/union' }).map((u) => u.content)
  for (const line of ['WatchdogSec=60', 'NotifyAccess=main', 'NoNewPrivileges=yes', 'RestrictNamespaces=yes', 'SystemCallArchitectures=native', 'LockPersonality=yes', 'RestrictRealtime=yes', 'UMask=0022'])
    t.true(agent!.split('\n').includes(line), line)
  // any of these would give the agent its own mount namespace, and its union mounts would vanish from the host
  for (const key of ['ProtectSystem', 'PrivateTmp', 'PrivateDevices', 'PrivateMounts', 'ProtectHome', 'ProtectKernelTunables', 'ProtectProc', 'ReadOnlyPaths'])
    t.notRegex(agent!, new RegExp(`^${key}=`, 'm'))
  for (const unit of [prepare, mount, agent]) t.regex(unit!, /^Documentation=file:\/usr\/local\/share\/doc\/gfs-writecache\/flush-contract\.md$/m)
  t.regex(prepare!, /^TimeoutStartSec=1800$/m)
  t.notRegex(prepare!, /infinity/)
  t.regex(prepare!, /ExecStopPost=.*SERVICE_RESULT.*did not finish within 1800 s: \/gfs\/union is not mounted.*systemctl start gfs-union\.mount/)
})
