// A directory replaced here (opaque) shows only this host's entries until an evict reopens it: what the
// other host puts in gv0 below it meanwhile is hidden from the union, so a delete here never removes it.
import test, { type ExecutionContext } from 'ava'
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { flushAll, sandbox, sleep, text } from './helpers.ts'

/**
 * gv0's photos/ replaced here (opaque, published: gv0 loses old.jpg and gets mine.jpg), then the other host adds
 * photos/theirs.jpg, and a dentry drop after it: from then on only the opaque directory hides it from the union.
 */
async function replacedHereThenTheirs(t: ExecutionContext) {
  const sb = await sandbox(t, {}, { mount: false })
  mkdirSync(join(sb.lower, 'photos'))
  writeFileSync(join(sb.lower, 'photos/old.jpg'), 'old')
  sb.mount()
  const agent = await sb.agent()
  rmSync(join(sb.union, 'photos'), { recursive: true })
  mkdirSync(join(sb.union, 'photos'))
  writeFileSync(join(sb.union, 'photos/mine.jpg'), 'mine')
  await flushAll(t, agent)
  t.deepEqual(readdirSync(join(sb.lower, 'photos')), ['mine.jpg'])
  writeFileSync(join(sb.lower, 'photos/theirs.jpg'), 'theirs')
  await sleep(30)
  agent.noteDentryDrop()
  await sleep(30)
  t.false(existsSync(join(sb.union, 'photos/theirs.jpg')), 'the union does not show it')
  return { sb, agent }
}

test('a file the other host made in a directory replaced here survives the delete of that directory', async (t) => {
  const { sb, agent } = await replacedHereThenTheirs(t)
  await flushAll(t, agent) // a walk after the remote file: the delete below is later than both
  rmSync(join(sb.union, 'photos'), { recursive: true })
  await flushAll(t, agent)
  t.is(text(join(sb.lower, 'photos/theirs.jpg')), 'theirs', 'a file the union never showed stays')
  t.false(existsSync(join(sb.lower, 'photos/mine.jpg')), 'what this host published there is deleted')
  t.true(agent.conflicts().some((c) => c.kind === 'delete-kept' && c.path === 'photos/theirs.jpg'))
})

// The same hidden entry, met by a create instead of a delete: the union showed the name free below the
// opaque directory, however long after the other host's file and whatever dentry drops came since.
for (const kind of ['file', 'directory'] as const) {
  test(`a ${kind} made here at the name of a file the other host made in a directory replaced here: theirs stays, mine is a conflict copy`, async (t) => {
    const { sb, agent } = await replacedHereThenTheirs(t)
    if (kind === 'file') writeFileSync(join(sb.union, 'photos/theirs.jpg'), 'mine too')
    else mkdirSync(join(sb.union, 'photos/theirs.jpg'))
    await flushAll(t, agent)
    const names = readdirSync(join(sb.lower, 'photos')).sort()
    const copy = names.find((n) => n.startsWith('theirs.conflict-'))
    t.truthy(copy, `a conflict copy beside the name: ${names.join(', ')}`)
    if (kind === 'file') {
      t.is(text(join(sb.lower, 'photos/theirs.jpg')), 'theirs', 'the other host\'s file is where it was, unchanged')
      t.is(text(join(sb.lower, 'photos', copy!)), 'mine too', 'mine is the conflict copy')
    } else {
      // a directory cannot be a conflict copy: gv0's file is moved aside for it, bytes intact
      t.true(statSync(join(sb.lower, 'photos/theirs.jpg')).isDirectory())
      t.is(text(join(sb.lower, 'photos', copy!)), 'theirs', 'the other host\'s file kept under the conflict name')
    }
  })
}
