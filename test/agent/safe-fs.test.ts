// SafeTree's handle cache: bounded, never closing a handle an operation still addresses, nothing leaked.
import test from 'ava'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { constants } from 'node:fs'
import { join } from 'node:path'
import { SafeTree } from '../../src/agent/fs/safe-fs.ts'

const openFds = () => readdirSync('/proc/self/fd').length

// serial: alone in this worker, so no other test opens or closes descriptors between the two counts
test.serial('many directories through a small cache: every operation lands in its own directory, no descriptor leaks', async (t) => {
  const root = mkdtempSync('/tmp/gfswc-safefs-')
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  for (let i = 0; i < 60; i++) mkdirSync(join(root, `a${i}/b${i}`), { recursive: true })
  // the thread pool starts with the first asynchronous call and keeps its own descriptors
  const warm = new SafeTree(root, 'warm-up')
  await warm.lstat('a0')
  warm.close()
  await new Promise((r) => setTimeout(r, 50))
  const before = openFds()
  const tree = new SafeTree(root, 'test', false, 4)
  await Promise.all(
    Array.from({ length: 60 }, async (_, i) => {
      const fh = await tree.open(`a${i}/b${i}/f`, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600)
      await fh.writeFile(`file ${i}\n`)
      await fh.close()
      await tree.rename(`a${i}/b${i}/f`, `a${i}/b${i}/g`)
      t.is((await tree.lstat(`a${i}/b${i}/g`)).size, `file ${i}\n`.length)
    }),
  )
  tree.close()
  await new Promise((r) => setTimeout(r, 50))
  for (let i = 0; i < 60; i++) t.is(readFileSync(join(root, `a${i}/b${i}/g`), 'utf8'), `file ${i}\n`)
  // not more than before (the runtime may close one of its own meanwhile): a leak of 60 handles would show
  t.true(openFds() <= before, `every directory handle closed: ${openFds()} descriptors open, ${before} before`)
})

test('a symlinked component is ELOOP, naming the path; a missing or non-directory one is absence', async (t) => {
  const root = mkdtempSync('/tmp/gfswc-safefs-')
  const outside = mkdtempSync('/tmp/gfswc-safefs-out-')
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  t.teardown(() => rmSync(outside, { recursive: true, force: true }))
  writeFileSync(join(outside, 'f'), 'outside\n')
  symlinkSync(outside, join(root, 'link'))
  writeFileSync(join(root, 'file'), 'x')
  const tree = new SafeTree(root, 'gv0')
  const err = await t.throwsAsync(tree.lstat('link/f'))
  t.is((err as NodeJS.ErrnoException).code, 'ELOOP')
  t.is(err?.message, 'gv0 path link is a symbolic link: not followed')
  await t.throwsAsync(tree.open('link/new', constants.O_WRONLY | constants.O_CREAT, 0o644), { code: 'ELOOP' })
  await t.throwsAsync(tree.chmod('link', 0o777), { code: 'ELOOP' }, 'chmod of a symlink itself is refused, never applied to its target')
  t.is(await tree.lstatOrNull('missing/f'), null)
  t.is(await tree.lstatOrNull('file/f'), null)
  t.is(await new SafeTree(root, 'upper', true).lstatOrNull('link/f'), null, 'in upper, a path through a symlink is not an entry')
  t.true((await tree.lstat('link')).isSymbolicLink())
  tree.close()
  t.deepEqual(readdirSync(outside), ['f'])
})
