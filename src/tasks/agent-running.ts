// The flush agent enabled, running, and still running a few seconds later. `systemctl start` returns once
// the process is forked, and "activating" is also the pause Restart= takes after a crash: neither says
// the agent works. So a start (or restart) is followed by a settle check that fails naming the unit's
// state and its last journal lines, instead of a repair that reports success over a crash loop.
import { sh, fromShell } from '../engine/command.ts'
import { shell } from '../engine/quote.ts'
import { change, changesOr, task, type Task } from '../engine/task.ts'
import { unitState } from '../facts/systemd.ts'
import { startUnit } from './unit-start.ts'
import { AGENT_UNIT } from '../agent/service/units.ts'

/** Consecutive one-second samples the agent must be active in before it counts as up. */
export const SETTLE_SECONDS = 5
/** How long a start may take to settle (a crash loop restarts every RestartSec=2 s). */
export const SETTLE_LIMIT_SECONDS = 90

/** Waits until the agent has been active for SETTLE_SECONDS in a row; else says why and fails. */
export const agentSettled = fromShell(
  shell`u=${AGENT_UNIT}; n=0; up=0; while :; do s=$(systemctl show -p ActiveState --value -- "$u")/$(systemctl show -p SubState --value -- "$u"); case "$s" in active/*) up=$((up+1)); [ $up -lt ${SETTLE_SECONDS} ] || exit 0;; *) up=0;; esac; n=$((n+1)); [ $n -lt ${SETTLE_LIMIT_SECONDS} ] || break; sleep 1; done; echo "$u did not stay active within ${SETTLE_LIMIT_SECONDS} s (now $s, restarted $(systemctl show -p NRestarts --value -- "$u") times); its last journal lines:" >&2; journalctl -u "$u" -n 8 --no-pager -o cat >&2; exit 1`,
)

/** The agent's unit enabled and active, started (a failed one reset first) and watched until it stays up. */
export function agentRunning(): Task {
  return task({
    name: 'flush agent running',
    tags: ['agent'],
    facts: () => ({ state: unitState(AGENT_UNIT) }),
    plan: ({ state }) => {
      if (!state.loaded) return { refuse: `unit ${AGENT_UNIT} is not installed (LoadState is not loaded)` }
      const enabled = ['enabled', 'enabled-runtime', 'static', 'generated'].includes(state.enabled)
      const how = `${state.active}${state.sub ? ` (${state.sub})` : ''}`
      return changesOr(
        `${AGENT_UNIT} ${state.active}, ${state.enabled}`,
        !enabled && change(`enable ${AGENT_UNIT}`, sh`systemctl enable ${AGENT_UNIT}`),
        // activating is a start in progress or the pause after a crash: started now, then watched either way
        state.active !== 'active' &&
          change(
            `start ${AGENT_UNIT} (was ${how}) and wait until it stays active`,
            startUnit(AGENT_UNIT, { resetFirst: state.active === 'failed' }),
            agentSettled,
          ),
      )
    },
  })
}

/** The handler's restart, watched like a start. */
export const agentRestart = [sh`systemctl restart ${AGENT_UNIT}`, agentSettled]
