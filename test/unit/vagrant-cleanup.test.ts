// A Vagrant lab run that is stopped (ava's timeout sends SIGTERM to the test's worker, and its after.always
// hooks do not run then; Ctrl-C sends SIGINT) still destroys its VMs: its running children (a `vagrant up`)
// are stopped first, then `vagrant destroy -f` runs in the repository. Here against a stand-in `vagrant`.
import test from 'ava'
import { spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { repoRoot } from '../../src/lab/paths.ts'

// a zombie is stopped too (here PID 1 does not reap orphans)
const alive = (pid: number) => existsSync(`/proc/${pid}/stat`) && !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))

for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
  test(`${signal}: the running child is stopped, then vagrant destroy -f runs in the repository, and the exit code is ${code}`, async (t) => {
    t.timeout(60_000)
    const dir = mkdtempSync(join(tmpdir(), 'gfs-vagrant-cleanup-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const calls = join(dir, 'calls')
    const fake = join(dir, 'vagrant')
    writeFileSync(fake, `#!/bin/sh\necho "$PWD|$*|$GFS_VAGRANT_LIBVIRT_DRIVER" >> ${calls}\n`)
    chmodSync(fake, 0o755)
    const childPid = join(dir, 'child.pid')
    const script = join(dir, 'run.ts')
    writeFileSync(
      script,
      `import { destroyOnSignal } from ${JSON.stringify(join(repoRoot, 'src/vagrant/cleanup.ts'))}
import { runProcess } from ${JSON.stringify(join(repoRoot, 'src/engine/process.ts'))}
destroyOnSignal((line) => console.error(line))
void runProcess(['sh', '-c', 'echo $$ > ${childPid}; exec sleep 300'])
setInterval(() => {}, 1000)
`,
    )
    const proc = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: repoRoot,
      env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, GFS_VAGRANT_LIBVIRT_DRIVER: '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    proc.stderr.on('data', (d) => (stderr += d))
    // whatever happens, nothing of this test outlives it (a live child would keep ava's worker running)
    t.teardown(() => {
      proc.kill('SIGKILL')
      const left = existsSync(childPid) ? Number(readFileSync(childPid, 'utf8')) : 0
      if (left > 0 && alive(left)) process.kill(left, 'SIGKILL')
    })
    // tsx compiles run.ts first: seconds on a busy machine; the shell writes its PID right after creating the file
    const pidIn = async () => (existsSync(childPid) ? Number(readFileSync(childPid, 'utf8')) : 0)
    let pid = 0
    for (let i = 0; i < 600 && !pid; i++) pid = (await pidIn()) || (await new Promise<number>((r) => setTimeout(() => r(0), 50)))
    if (!pid) return void t.fail(`the stand-in for \`vagrant up\` did not start in 30 s: ${stderr}`)
    t.true(alive(pid), 'the stand-in for `vagrant up` runs')
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (c) => resolve(c)))
    proc.kill(signal)
    t.is(await exited, code, stderr)
    t.false(alive(pid), 'the running child was stopped first')
    // the lab's settings (qemu unless set) and the repository, where the Vagrantfile and .vagrant/ are
    t.deepEqual(readFileSync(calls, 'utf8').trim().split('\n'), [`${repoRoot.replace(/\/$/, '')}|destroy -f|qemu`])
    t.regex(stderr, new RegExp(`${signal}: destroying the VMs`))
  })
}
