import test from 'ava'
import { sh } from '../../src/engine/command.ts'
import { ConnectError } from '../../src/engine/errors.ts'
import { collect } from '../../src/engine/events.ts'
import { fakeExecutor, type FakeReply } from '../../src/engine/fake-executor.ts'
import { recapSucceeded, runPlaybook } from '../../src/engine/play.ts'
import { change, changes, fact, noop, task, type Playbook } from '../../src/engine/task.ts'
import { inventory } from '../helpers/hosts.ts'

const marker = (path: string) =>
  task({
    name: `marker ${path}`,
    tags: ['marker'],
    facts: () => ({ present: fact('present', sh`test -e ${path}`, (r) => r.exitCode === 0) }),
    plan: ({ present }) => (present ? noop('there') : changes(change(`touch ${path}`, sh`touch ${path}`))),
    notify: ['restart thing'],
  })

const readBoth = 'read 2 facts: test -e /a; test -e /b'

const playbook: Playbook = {
  name: 'test',
  description: 'test',
  tasks: [marker('/a'), { ...marker('/b'), tags: ['other'] }],
  handlers: [{ name: 'restart thing', task: task({ name: 'restart', plan: () => changes(change('restart', sh`systemctl restart thing`)) }) }],
}

async function run(replies: Record<string, FakeReply[]>, options: { check?: boolean; tags?: string[]; pb?: Playbook } = {}) {
  const { sink, events } = collect()
  const executors = new Map<string, ReturnType<typeof fakeExecutor>>()
  const inv = inventory()
  const recap = await runPlaybook({
    playbook: options.pb ?? playbook,
    inventory: inv,
    hosts: inv.hosts,
    sink,
    check: options.check,
    tags: options.tags,
    sleep: async () => {},
    connect: async (h) => {
      if (replies[h.name] === undefined) throw new ConnectError(h.name, 'unreachable: connection refused')
      const e = fakeExecutor(h.name, replies[h.name])
      executors.set(h.name, e)
      return e
    },
  })
  const ran = (name: string) => executors.get(name)?.ran.map((c) => c.display) ?? []
  return { recap, events, ran }
}

test('changes are applied, facts re-read on every host after a change, handlers run once at the end', async (t) => {
  const { recap, ran } = await run({ hydra: [{ match: 'test -e', exitCode: 1 }], plexus: [] })
  t.deepEqual(ran('hydra'), [readBoth, 'touch /a', 'test -e /b', 'touch /b', 'systemctl restart thing'])
  // hydra's change may have changed what plexus would read (a gluster probe does), so plexus reads /b again
  t.deepEqual(ran('plexus'), [readBoth, 'test -e /b'])
  t.deepEqual(recap.hosts.hydra, { ok: 0, changed: 3, failed: 0, skipped: 0, unreachable: false })
  t.deepEqual(recap.hosts.plexus, { ok: 2, changed: 0, failed: 0, skipped: 0, unreachable: false })
  t.true(recapSucceeded(recap))
})

test('check mode plans but runs nothing that changes', async (t) => {
  const { recap, ran, events } = await run({ hydra: [{ match: 'test -e', exitCode: 1 }], plexus: [] }, { check: true })
  t.deepEqual(ran('hydra'), [readBoth])
  t.is(recap.hosts.hydra!.changed, 2)
  const ends = events.filter((e) => e.type === 'task:end' && e.host === 'hydra')
  t.true(ends.every((e) => e.type === 'task:end' && e.changes?.[0]?.startsWith('touch')))
})

test('an unreachable host is reported and the others go on', async (t) => {
  const { recap, ran } = await run({ plexus: [] })
  t.true(recap.hosts.hydra!.unreachable)
  t.is(recap.hosts.plexus!.ok, 2)
  t.deepEqual(ran('plexus'), [readBoth])
  t.false(recapSucceeded(recap))
})

test('a failed command fails that host only and stops its later tasks', async (t) => {
  const { recap, ran, events } = await run({
    hydra: [{ match: 'test -e', exitCode: 1 }, { match: 'touch', exitCode: 1, stderr: 'read-only file system' }],
    plexus: [{ match: 'test -e', exitCode: 1 }],
  })
  t.deepEqual(ran('hydra'), [readBoth, 'touch /a'])
  t.is(recap.hosts.hydra!.failed, 1)
  t.is(recap.hosts.plexus!.changed, 3)
  const failure = events.find((e) => e.type === 'task:end' && e.status === 'failed')
  t.regex(failure?.type === 'task:end' ? failure.message ?? '' : '', /read-only file system/)
})

test('--tags selects tasks; untagged ones are left out', async (t) => {
  const { ran } = await run({ hydra: [], plexus: [] }, { tags: ['other'] })
  t.deepEqual(ran('hydra'), ['test -e /b'])
})

test('a waiting task re-reads its facts until the state converges', async (t) => {
  let calls = 0
  const pb: Playbook = {
    name: 'wait',
    description: '',
    tasks: [
      task({
        name: 'wait for peer',
        facts: () => ({ n: fact('n', sh`count`, () => ++calls) }),
        wait: { attempts: 5, delayMs: 1 },
        plan: ({ n }) => (n >= 3 ? noop('ready') : changes(change(`waiting (${n})`))),
      }),
    ],
  }
  const { recap, events } = await run({ hydra: [], plexus: [] }, { pb })
  t.is(recap.hosts.hydra!.ok, 1)
  t.true(events.some((e) => e.type === 'progress'))
})

test('a task that refuses fails the host with its explanation, running nothing', async (t) => {
  const pb: Playbook = { name: 'refuse', description: '', tasks: [task({ name: 'guard', plan: () => ({ refuse: 'brick on root fs' }) })] }
  const { recap, ran, events } = await run({ hydra: [], plexus: [] }, { pb })
  t.is(recap.hosts.hydra!.failed, 1)
  t.deepEqual(ran('hydra'), [])
  t.true(events.some((e) => e.type === 'task:end' && e.message === 'brick on root fs'))
})

test('runOnce tasks run on the first host only', async (t) => {
  const pb: Playbook = { name: 'once', description: '', tasks: [{ ...marker('/v'), runOnce: true, notify: [] }] }
  const { ran } = await run({ hydra: [{ match: 'test -e', exitCode: 1 }], plexus: [{ match: 'test -e', exitCode: 1 }] }, { pb })
  t.deepEqual(ran('hydra'), ['test -e /v', 'touch /v'])
  t.deepEqual(ran('plexus'), [])
})

test('check mode: a fact that depends on an earlier change is skipped, not failed', async (t) => {
  const pb: Playbook = {
    name: 'check',
    description: '',
    tasks: [
      marker('/pkg'),
      task({
        name: 'needs the package',
        facts: () => ({ v: fact('tool output', sh`tool --xml`, (r) => { if (r.exitCode) throw new Error('tool: not found'); return 1 }) }),
        plan: () => noop('fine'),
      }),
    ],
  }
  const replies = [{ match: 'test -e', exitCode: 1 }, { match: 'tool', exitCode: 127 }]
  const { recap } = await run({ hydra: replies, plexus: [{ match: 'tool', exitCode: 127 }] }, { pb, check: true })
  t.like(recap.hosts.hydra, { changed: 1, skipped: 1, failed: 0 })
  t.like(recap.hosts.plexus, { ok: 1, failed: 1 })
})

test('a long command marked progress reports its output lines while it runs', async (t) => {
  const { localExecutor } = await import('../../src/engine/local-executor.ts')
  const { sink, events } = collect()
  const inv = inventory()
  const pb: Playbook = {
    name: 'progress',
    description: '',
    tasks: [task({ name: 'install', plan: () => changes(change('install', { ...sh`for i in 1 2 3; do echo step $i; sleep 0.6; done`, progress: true })) })],
  }
  await runPlaybook({ playbook: pb, inventory: inv, hosts: inv.hosts.slice(0, 1), sink, connect: async (h) => localExecutor(h.name) })
  const progress = events.flatMap((e) => (e.type === 'progress' ? [e.message] : []))
  t.deepEqual(progress, ['step 1', 'step 2', 'step 3'])
})

test('a no-change run reads every fact of the play in one round trip per host', async (t) => {
  const probe = (name: string, path: string, extra: Partial<Playbook['tasks'][number]> = {}) =>
    ({ ...task({ name, facts: () => ({ p: fact(name, sh`test -e ${path}`, (r) => r.exitCode === 0) }), plan: () => noop('fine') }), ...extra })
  const pb: Playbook = {
    name: 'read-ahead',
    description: '',
    tasks: [
      probe('one', '/one'),
      probe('two', '/two'),
      probe('cluster', '/cluster', { runOnce: true }),
      probe('off', '/off', { when: () => 'not wanted here' }),
    ],
  }
  const { recap, ran } = await run({ hydra: [], plexus: [] }, { pb })
  t.deepEqual(ran('hydra'), ['read 3 facts: test -e /one; test -e /two; test -e /cluster'])
  t.deepEqual(ran('plexus'), ['read 2 facts: test -e /one; test -e /two'])
  t.is(recap.roundTrips, 2)
  t.like(recap.hosts.hydra, { ok: 3, skipped: 1, changed: 0 })
})

test('a fact whose part of the batch did not come back is read on its own', async (t) => {
  const { sink } = collect()
  const inv = inventory()
  const executors: ReturnType<typeof fakeExecutor>[] = []
  const recap = await runPlaybook({
    playbook: { ...playbook, handlers: [] },
    inventory: inv,
    hosts: inv.hosts.slice(0, 1),
    sink,
    connect: async (h) => {
      const fake = fakeExecutor(h.name, [])
      executors.push(fake)
      return {
        ...fake,
        // the batch is cut off after the first section, as if the connection dropped mid-answer
        run: async (c) => {
          const r = await fake.run(c)
          return 'batch' in c ? { ...r, stdout: r.stdout.slice(0, r.stdout.indexOf(' err 0')) } : r
        },
      }
    },
  })
  t.deepEqual(executors[0]!.ran.map((c) => c.display), [readBoth, 'test -e /a', 'test -e /b'])
  t.is(recap.hosts.hydra!.ok, 2)
})

test('a host where sudo does not make us root is failed with sudo\'s words, not unreachable, and runs nothing', async (t) => {
  const { BecomeError } = await import('../../src/engine/errors.ts')
  const { sink, events } = collect()
  const inv = inventory()
  const recap = await runPlaybook({
    playbook,
    inventory: inv,
    hosts: inv.hosts,
    sink,
    connect: async (h) => {
      if (h.name === 'hydra') throw new BecomeError('hydra', 'logged in as deploy, but sudo did not make it root (sudo: a password is required)')
      return fakeExecutor(h.name, [])
    },
  })
  t.like(recap.hosts.hydra, { failed: 1, unreachable: false, ok: 0 })
  t.like(recap.hosts.plexus, { ok: 2, failed: 0 })
  t.true(events.some((e) => e.type === 'task:end' && e.host === 'hydra' && /a password is required/.test(e.message ?? '')))
  t.false(recapSucceeded(recap))
})

test('SSH round trips count commands sent to hosts only, not those run on the controller (the CA)', async (t) => {
  const { onController } = await import('../../src/engine/command.ts')
  const { sink } = collect()
  const inv = inventory()
  const pb: Playbook = {
    name: 'ca',
    description: '',
    tasks: [
      task({
        name: 'certificate',
        facts: () => ({ ca: fact('ca', onController(sh`test -e /ca/key`), (r) => r.exitCode === 0) }),
        plan: () => changes(change('issue', onController(sh`openssl x509`)), change('install', sh`install -m 600 cert`)),
      }),
    ],
  }
  const controller = fakeExecutor('controller', [])
  const recap = await runPlaybook({ playbook: pb, inventory: inv, hosts: inv.hosts.slice(0, 1), sink, controller, connect: async (h) => fakeExecutor(h.name, []) })
  t.true(recapSucceeded(recap))
  t.deepEqual(controller.ran.map((c) => (c.kind === 'exec' ? c.script : c.path)), ['test -e /ca/key', 'openssl x509'])
  t.is(recap.roundTrips, 1, 'only the install on the host')
})

test('a wait measured by work left goes on while it shrinks, and gives up only once it stalls', async (t) => {
  // pending 40, 39, ... 1 (far more tries than `attempts`), then stuck at 1 forever
  const waiting = (stuckAt: number) => {
    const counts = new Map<string, number>()
    return task({
      name: 'pending heals',
      facts: (ctx) => ({ n: fact('n', sh`count ${ctx.host.name}`, () => Math.max(stuckAt, 40 - (counts.set('n', (counts.get('n') ?? 0) + 1).get('n') ?? 0))) }),
      wait: { attempts: 3, delayMs: 1000, remaining: ({ n }) => [n], stalledMs: 5000 },
      plan: ({ n }) => (n === 0 ? noop('healed') : changes(change(`heal ${n}`))),
    })
  }
  const done = await run({ hydra: [], plexus: [] }, { pb: { name: 'heal', description: '', tasks: [waiting(0)] } })
  t.is(done.recap.hosts.hydra!.failed, 0, 'forty tries: each one made progress')
  const stuck = await run({ hydra: [], plexus: [] }, { pb: { name: 'heal', description: '', tasks: [waiting(1)] } })
  const end = stuck.events.find((e) => e.type === 'task:end' && e.host === 'hydra')
  t.regex(JSON.stringify(end), /gave up after no progress for 5 s \((\d+) tries\)/)
  t.true(Number(/\((\d+) tries/.exec(JSON.stringify(end))![1]) > 3, 'more tries than attempts')
})
