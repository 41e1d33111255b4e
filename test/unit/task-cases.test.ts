// Every task of every playbook, run through its cases (test/cases): planned on the case's facts, then
// planned again on the facts after, where it must change nothing and say why.
import test from 'ava'
import type { Task } from '../../src/engine/task.ts'
import { applianceTasks } from '../../src/tasks/appliance.ts'
import { agentHandlers } from '../../src/tasks/writecache.ts'
import flush from '../../playbooks/flush.ts'
import status from '../../playbooks/status.ts'
import { agentSuites, bundle } from '../cases/agent.ts'
import { healthSuites } from '../cases/health.ts'
import { repairSuites } from '../cases/repair.ts'
import { siteSuites } from '../cases/site.ts'
import { checkCase, type TaskSuite } from '../helpers/task-cases.ts'

/** Every task the playbooks run, by name (site and repair share the appliance's tasks). */
const playbookTasks = new Map<string, Task>()
for (const task of [
  ...applianceTasks(bundle, { createVolume: true }),
  ...applianceTasks(bundle, { createVolume: false }),
  ...agentHandlers().map((h) => ({ ...h.task, name: h.name })),
  ...status.tasks,
  ...flush.tasks,
])
  playbookTasks.set(task.name, task)

const suites: TaskSuite[] = [...siteSuites, ...repairSuites, ...agentSuites, ...healthSuites]

for (const suite of suites) {
  const task = typeof suite.task === 'string' ? playbookTasks.get(suite.task) : suite.task
  const title = typeof suite.task === 'string' ? suite.task : `${suite.task.name} (built for the case)`
  for (const c of suite.cases) {
    test(`${title}: ${c.name}`, (t) => {
      if (!task) return void t.fail(`no playbook task named ${JSON.stringify(suite.task)}`)
      checkCase(t, task, suite, c)
    })
  }
}

test('every task of every playbook has cases', (t) => {
  const covered = new Set(suites.flatMap((s) => (typeof s.task === 'string' && s.cases.length ? [s.task] : [])))
  t.deepEqual([...playbookTasks.keys()].filter((name) => !covered.has(name)), [])
})
