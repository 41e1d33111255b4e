import test from 'ava'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ExecCommand } from '../../src/engine/command.ts'
import { localExecutor } from '../../src/engine/local-executor.ts'
import { volumeStatus } from '../../src/facts/gluster.ts'
import { gluster } from '../../src/facts/gluster-cli.ts'

const lockedXml = (errno: number, text: string) =>
  `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cliOutput>\n  <opRet>-1</opRet>\n  <opErrno>${errno}</opErrno>\n  <opErrstr>${text}</opErrstr>\n  <cliOp>volStatus</cliOp>\n</cliOutput>`
const anotherTransaction = lockedXml(30802, 'Another transaction is in progress for gv0. Please try again after some time.')
const lockingFailed = lockedXml(30800, 'Locking failed on plexus. Please check log file for details.')
const notStarted = lockedXml(30800, 'Volume gv0 is not started')
const statusXml = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cliOutput><opRet>0</opRet><opErrno>0</opErrno><opErrstr/><volStatus><volumes><volume><volName>gv0</volName>
<node><hostname>hydra</hostname><path>/data/brick1/gv0</path><status>1</status><pid>41</pid></node>
<node><hostname>plexus</hostname><path>/data/brick1/gv0</path><status>1</status><pid>42</pid></node>
</volume></volumes></volStatus></cliOutput>`

/** A stand-in gluster that gives the listed answers in turn (the last one from then on) and counts its calls. */
function fakeGluster(answers: { stdout?: string; stderr?: string; exit?: number }[]): { dir: string; calls: () => number } {
  const dir = mkdtempSync(join(tmpdir(), 'gfs-gluster-cli-'))
  answers.forEach((a, i) => {
    writeFileSync(join(dir, `out${i}`), a.stdout ?? '')
    writeFileSync(join(dir, `err${i}`), a.stderr ?? '')
  })
  const last = answers.length - 1
  const exits = answers.map((a, i) => `${i}) exit ${a.exit ?? 0};;`).join(' ')
  writeFileSync(
    join(dir, 'gluster'),
    `#!/bin/sh\nn=$(cat ${dir}/n 2>/dev/null || echo 0); echo $((n + 1)) > ${dir}/n\n[ $n -le ${last} ] || n=${last}\ncat ${dir}/out$n; cat ${dir}/err$n >&2\necho "$@" >> ${dir}/args\ncase $n in ${exits} esac\n`,
    { mode: 0o755 },
  )
  return { dir, calls: () => Number(readFileSync(join(dir, 'n'), 'utf8')) }
}

const runWith = (dir: string, c: ExecCommand, env = '') =>
  localExecutor('hydra').run({ ...c, script: `PATH=${dir}:/usr/bin:/bin; export PATH; ${env} ${c.script}` })

test('gluster commands are shown as the plain command', (t) => {
  t.is(gluster`volume start ${'gv0'} force`.display, 'gluster --mode=script volume start gv0 force')
})

test("a refusal because another host holds the cluster lock is asked again, in XML and in plain output", async (t) => {
  const fake = fakeGluster([{ stdout: anotherTransaction }, { stdout: lockingFailed }, { stderr: 'Another transaction is in progress for gv0.', exit: 1 }, { stdout: statusXml }])
  const status = volumeStatus('gv0')
  const result = await runWith(fake.dir, status.command as ExecCommand)
  t.is(fake.calls(), 4)
  t.is(result.exitCode, 0)
  t.deepEqual(status.parse(result).map((b) => [b.host, b.online]), [['hydra', true], ['plexus', true]])
  t.regex(readFileSync(join(fake.dir, 'args'), 'utf8'), /^--mode=script volume status gv0 --xml$/m)
})

test('any other answer is passed on at once: output, errors and exit code', async (t) => {
  const fake = fakeGluster([{ stdout: 'volume start: gv0: failed: Volume gv0 already started', stderr: 'details', exit: 1 }])
  const result = await runWith(fake.dir, gluster`volume start ${'gv0'}`)
  t.is(fake.calls(), 1)
  t.is(result.exitCode, 1)
  t.is(result.stdout, 'volume start: gv0: failed: Volume gv0 already started\n')
  t.is(result.stderr, 'details')
})

test('a lock held through every retry is an error, never "every brick down"; a stopped volume is', async (t) => {
  const busy = fakeGluster([{ stdout: lockingFailed }])
  const status = volumeStatus('gv0')
  const result = await runWith(busy.dir, status.command as ExecCommand, 'export GFS_GLUSTER_ATTEMPTS=3;')
  t.is(busy.calls(), 3)
  t.throws(() => status.parse(result), { message: /gluster stayed busy: Locking failed on plexus/ })
  const stopped = fakeGluster([{ stdout: notStarted }])
  t.deepEqual(status.parse(await runWith(stopped.dir, status.command as ExecCommand)), [])
  t.is(stopped.calls(), 1)
})
