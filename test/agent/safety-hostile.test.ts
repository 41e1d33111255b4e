// Hostile entries never wedge the agent: a file swapped for a FIFO mid-pass, an unpublishable entry
// under `flush --wait`, a tree deeper than PATH_MAX.
import test from 'ava'
import { execFileSync } from 'node:child_process'
import { chmodSync, closeSync, constants, existsSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cli, sandbox, sleep, text } from './helpers.ts'

test('a file swapped for a FIFO between scan and copy does not block the pass; it is reported, the rest is published', async (t) => {
  const sb = await sandbox(t, { settleSeconds: 0.05 })
  writeFileSync(join(sb.union, 'victim'), 'a regular file when scanned')
  writeFileSync(join(sb.union, 'other.txt'), 'published anyway')
  await sleep(100)
  // the swap happens right after the pass looked at the entry: inside the xattr read that precedes the copy
  const bin = join(sb.dir, 'bin')
  mkdirSync(bin)
  const trigger = join(sb.dir, 'swap-once')
  writeFileSync(trigger, '')
  const victim = join(sb.upper, 'victim')
  writeFileSync(
    join(bin, 'getfattr'),
    `#!/bin/sh\nif [ -e '${trigger}' ]; then rm -f '${trigger}' '${victim}'; mkfifo '${victim}'; fi\nexec /usr/bin/getfattr "$@"\n`,
  )
  chmodSync(join(bin, 'getfattr'), 0o755)
  const path = process.env.PATH
  process.env.PATH = `${bin}:${path}`
  t.teardown(() => {
    process.env.PATH = path
    // release a reader blocked in open() (the unfixed agent), so the test process can end
    if (existsSync(victim)) {
      try {
        closeSync(openSync(victim, constants.O_WRONLY | constants.O_NONBLOCK))
      } catch {
        // no reader waiting
      }
    }
  })
  const a = await sb.agent()
  const pass = a.pass({ settleMs: 0 })
  // a pass blocked on the FIFO never ends; a slow machine gets time
  const finished = await Promise.race([pass.then(() => true), sleep(30_000).then(() => false)])
  t.true(finished, 'the pass ends')
  t.false(existsSync(trigger), 'the swap happened')
  t.is(text(join(sb.lower, 'other.txt')), 'published anyway')
  t.false(existsSync(join(sb.lower, 'victim')), 'nothing published for the swapped name')
  await a.rescan()
  const r = await Promise.race([a.flush({ wait: true, timeoutMs: 10_000, settleMs: 0 }), sleep(8000).then(() => null)])
  t.truthy(r, 'flush --wait ends')
  t.false(r?.ok)
  t.regex(r?.message ?? '', /victim: sockets, FIFOs and device nodes are not published/)
  t.true((await a.status()).errors.some((e) => /victim/.test(e.message)), 'reported in status')
  // once the FIFO is gone, it no longer keeps the agent's status in error
  rmSync(victim) // made in upper behind the union's back, so removed there too
  await a.rescan()
  await a.flush({ wait: true, timeoutMs: 10_000, settleMs: 0 })
  t.false((await a.status()).errors.some((e) => /victim/.test(e.message)), 'the report goes with the FIFO')
})

test('flush --wait ends as soon as only entries that cannot be published remain, names them and exits 1', async (t) => {
  const sb = await sandbox(t, { settleSeconds: 0.05, retryMaxSeconds: 30 }, { mount: false })
  mkdirSync(join(sb.lower, 'locked'))
  sb.mount()
  writeFileSync(join(sb.union, 'locked/cannot.txt'), 'gv0 refuses this directory')
  writeFileSync(join(sb.union, 'fine.txt'), 'published')
  // gv0 refuses creates in this one directory (EPERM), nothing else
  execFileSync('chattr', ['+i', join(sb.lower, 'locked')])
  t.teardown(() => execFileSync('chattr', ['-i', join(sb.lower, 'locked')]))
  await sleep(100)
  const started = Date.now()
  const r = await cli(['flush', '--wait', '--timeout', '30', '--config', sb.configFile])
  const took = (Date.now() - started) / 1000
  t.log(`flush --wait returned after ${took.toFixed(1)} s: ${r.code} ${r.stderr.trim()}`)
  t.is(r.code, 1)
  t.regex(r.stderr, /locked\/cannot\.txt/)
  t.regex(r.stderr, /cannot be published/)
  t.true(took < 10, `returned at once (${took.toFixed(1)} s), not at its timeout`)
  t.is(text(join(sb.lower, 'fine.txt')), 'published')
  // a settling entry is still waited for
  execFileSync('chattr', ['-i', join(sb.lower, 'locked')])
  writeFileSync(join(sb.union, 'late.txt'), 'settles')
  const ok = await cli(['flush', '--wait', '--timeout', '30', '--config', sb.configFile])
  t.is(ok.code, 0, ok.stderr)
  t.is(text(join(sb.lower, 'late.txt')), 'settles')
  t.is(text(join(sb.lower, 'locked/cannot.txt')), 'gv0 refuses this directory')
})

test('a tree deeper than PATH_MAX fails nothing: status, flush and prepare work and the rest is published', async (t) => {
  const sb = await sandbox(t, { settleSeconds: 0.05 })
  writeFileSync(join(sb.union, 'fine.txt'), 'published')
  // a tree deeper than PATH_MAX, made directly in upper (relative paths: no single call sees it whole)
  const name = 'd'.repeat(250)
  execFileSync('python3', ['-c', `import os\nos.chdir('${sb.upper}')\nos.mkdir('deep')\nos.chdir('deep')\nfor i in range(18):\n  os.mkdir('${name}')\n  os.chdir('${name}')\nopen('f', 'w').write('bottom')\n`])
  // rmtree walks by descriptors: it removes what no single path can name (upper's tree and gv0's copy)
  const rmDeep = (root: string) => execFileSync('python3', ['-c', `import shutil\nshutil.rmtree('${root}/deep', ignore_errors=True)`])
  t.teardown(() => {
    rmDeep(sb.upper)
    rmDeep(sb.lower)
  })
  await sleep(100)
  const s = await cli(['status', '--json', '--config', sb.configFile])
  t.is(s.code, 0, s.stderr)
  const f = await cli(['flush', '--wait', '--timeout', '20', '--config', sb.configFile])
  t.notRegex(f.stderr, /\n\s+at /, 'no crash')
  t.is(text(join(sb.lower, 'fine.txt')), 'published')
  sb.umount()
  const p = await cli(['prepare', '--config', sb.configFile])
  t.is(p.code, 0, `prepare lets the union be mounted: ${p.stderr}`)
  sb.mount()
  t.is(text(join(sb.union, 'fine.txt')), 'published')
})
