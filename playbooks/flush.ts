// Publish everything the write caches hold now and wait until both hosts have nothing pending.
import { sh } from '../src/engine/command.ts'
import { change, changes, noop, task, type Playbook } from '../src/engine/task.ts'
import { agentReportRescanned, pendingText, surelyNothingPending } from '../src/facts/agent.ts'
import { formatDuration } from '../src/agent/uplink/progress.ts'

const playbook: Playbook = {
  name: 'flush',
  description: 'publish all pending cache entries into the volume and wait for them',
  tasks: [
    task({
      name: 'write cache flushed',
      tags: ['agent'],
      // from a fresh walk of the cache: a file written a moment before the run counts too
      facts: () => ({ report: agentReportRescanned() }),
      plan: ({ report }) => {
        if (!report) return { refuse: 'gfs-writecache is not installed: run the site playbook' }
        if (surelyNothingPending(report)) return noop('nothing pending')
        const u = report.uplink
        const eta = u?.etaSeconds != null && u.etaSeconds > 0 ? `, ETA ${formatDuration(u.etaSeconds)}` : ''
        const limit = u && u.limit !== 'off' ? ` at upload limit ${u.limit}${eta}` : ''
        return changes(
          change(
            `publish ${pendingText(report.pending.entries, report.pending.bytes)}${limit}`,
            // progress: the agent prints entries and bytes left, rate and ETA every few seconds
            { ...sh`gfs-writecache flush --wait --timeout 3600`, timeoutMs: 3_700_000, progress: true },
          ),
        )
      },
    }),
  ],
}

export default playbook
