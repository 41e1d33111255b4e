// The cue for a dentry drop: the other host's stamp on gv0's root is seen, this host's own is not.
import test from 'ava'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { othersStamps, RemotePublishes, STAMP_XATTR } from '../../src/agent/watch/remote-publishes.ts'

test("the other host's stamp cues a drop once; this host's own stamp and a quiet root do not", async (t) => {
  const root = mkdtempSync('/tmp/gfswc-stamp-')
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  const hydra = new RemotePublishes(root, 'hydra')
  const plexus = new RemotePublishes(root, 'plexus')
  await hydra.look()
  t.false(hydra.takeChange(), 'the first look only records')
  t.true(await plexus.stamp())
  t.regex(execFileSync('getfattr', ['-d', '--absolute-names', root], { encoding: 'utf8' }), new RegExp(`${STAMP_XATTR}\\.plexus="\\d+"`))
  await hydra.look()
  t.true(hydra.takeChange(), "plexus's first stamp is seen")
  t.false(hydra.takeChange(), 'once')
  await hydra.look()
  t.false(hydra.takeChange(), 'nothing new')
  t.true(await hydra.stamp())
  await hydra.look()
  t.false(hydra.takeChange(), "hydra's own stamp is no cue")
  await new Promise((r) => setTimeout(r, 5))
  t.true(await plexus.stamp())
  await hydra.look()
  t.true(hydra.takeChange(), 'the next one of plexus is')
})

test('stamps in getfattr output: the other hosts only, in a fixed order', (t) => {
  const out = `# file: /gfs/gv0\n${STAMP_XATTR}.plexus="17"\n${STAMP_XATTR}.hydra="20"\n${STAMP_XATTR}.arbiter="3"\nuser.other="x"\n`
  t.is(othersStamps(out, 'hydra'), 'arbiter=3 plexus=17')
  t.is(othersStamps('', 'hydra'), '')
})

test('a root that cannot be stamped or read (gone, cut off) is no error, only no cue', async (t) => {
  const gone = new RemotePublishes('/nonexistent/gfswc-root', 'hydra')
  t.false(await gone.stamp())
  await gone.look()
  await gone.look()
  t.false(gone.takeChange())
})

test('a new stamp calls for a drop once at least everyMs after the last, and for a second one everyMs later', async (t) => {
  const root = mkdtempSync('/tmp/gfswc-stamp-')
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  const hydra = new RemotePublishes(root, 'hydra', 2000)
  const plexus = new RemotePublishes(root, 'plexus', 2000)
  await hydra.look()
  t.false(hydra.dropCalled(60_000), 'no stamp, no call')
  t.true(await plexus.stamp())
  await hydra.look()
  t.false(hydra.dropCalled(500), 'too soon after the last drop')
  t.true(hydra.dropCalled(2500), 'called, once the last drop is 2 s old')
  hydra.dropped()
  t.true(hydra.dropCalled(2000), 'the second drop, for dentries that were in use')
  hydra.dropped()
  t.false(hydra.dropCalled(60_000), 'answered')
})

test("noteChanges stamps only when this process's passes changed gv0 since the last stamp", async (t) => {
  const root = mkdtempSync('/tmp/gfswc-stamp-')
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  const stamps = () => execFileSync('getfattr', ['-d', '--absolute-names', root], { encoding: 'utf8' })
  const hydra = new RemotePublishes(root, 'hydra')
  hydra.noteChanges(0)
  await new Promise((r) => setTimeout(r, 300))
  t.notRegex(stamps(), /published\.hydra/, 'no change, no stamp')
  hydra.noteChanges(3)
  await new Promise((r) => setTimeout(r, 300))
  t.regex(stamps(), /published\.hydra="\d+"/)
})
