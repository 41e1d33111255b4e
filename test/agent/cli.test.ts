// The fixed host CLI, run as the shipped bundle, plus the units, config and bundle contracts.
import test from 'ava'
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { bundleAgent } from '../../src/agent/bundle.ts'
import { parseConfig } from '../../src/agent/service/config.ts'
import { agentUnits, escapePath, mountUnitName } from '../../src/agent/service/units.ts'
import { agentBundle, cli, sandbox, sleep, text, until } from './helpers.ts'

test('status --json without a daemon: one JSON object with the documented fields, running false', async (t) => {
  const sb = await sandbox(t)
  writeFileSync(join(sb.union, 'pending.bin'), Buffer.alloc(1000))
  const r = await cli(['status', '--json', '--config', sb.configFile])
  t.is(r.code, 0, r.stderr)
  const s = JSON.parse(r.stdout)
  t.is(typeof s.version, 'string')
  t.is(s.host, 'hydra')
  t.is(s.running, false)
  t.deepEqual(s.union, { path: sb.union, mounted: true })
  t.is(s.pending.entries, 1)
  t.is(s.pending.bytes, 1000)
  t.is(typeof s.pending.oldestAgeSeconds, 'number')
  t.is(s.lastPublish, null)
  t.is(s.publishedTotal, 0)
  t.is(s.publishRateBytesPerSecond, 0)
  t.deepEqual(s.errors, [])
  t.is(s.conflicts, 0)
  t.deepEqual(Object.keys(s.cache).sort(), ['highWatermarkPercent', 'lowWatermarkPercent', 'usedPercent'])
  const text1 = await cli(['status', '--config', sb.configFile])
  t.regex(text1.stdout, /agent not running/)
})

test('flush without a daemon removes temporaries left by a killed agent, as a daemon start does', async (t) => {
  const sb = await sandbox(t)
  writeFileSync(join(sb.union, 'doc'), 'content')
  const stale = join(sb.lower, '.gfs-writecache.tmp.hydra.0123456789abcdef.99999')
  writeFileSync(stale, 'partial')
  const r = await cli(['flush', '--wait', '--timeout', '30', '--config', sb.configFile])
  t.is(r.code, 0, r.stderr)
  t.is(text(join(sb.lower, 'doc')), 'content')
  t.false(existsSync(stale), 'stale temporary removed')
})

test('daemon: status, flush --wait, evict with a holder, conflicts, metrics, clean stop', async (t) => {
  const sb = await sandbox(t, { settleSeconds: 0.2 })
  const bundle = await agentBundle()
  const daemon = spawn(process.execPath, [bundle, 'run', '--config', sb.configFile], { stdio: ['ignore', 'ignore', 'pipe'] })
  let log = ''
  daemon.stderr.on('data', (b: Buffer) => (log += b.toString()))
  const exited = new Promise<number | null>((r) => daemon.once('exit', (code) => r(code)))
  t.teardown(() => {
    daemon.kill('SIGKILL')
  })
  t.true(await until(() => existsSync(sb.cfg.socket), 10_000), 'socket appears')
  const st = JSON.parse((await cli(['status', '--json', '--config', sb.configFile])).stdout)
  t.is(st.running, true)

  writeFileSync(join(sb.union, 'report.pdf'), 'pdf bytes')
  const f = await cli(['flush', '--wait', '--timeout', '20', '--config', sb.configFile])
  t.is(f.code, 0, f.stderr)
  t.is(text(join(sb.lower, 'report.pdf')), 'pdf bytes')
  const after = JSON.parse((await cli(['status', '--json', '--config', sb.configFile])).stdout)
  t.is(after.pending.entries, 0)
  t.is(after.publishedTotal, 1)
  t.truthy(Date.parse(after.lastPublish))

  // a writer that never closes: flush --wait gives up with the reason
  const writer = spawn('sh', ['-c', 'exec 3>>"$1"; echo partial >&3; exec sleep 30', 'sh', join(sb.union, 'held.txt')])
  t.teardown(() => writer.kill('SIGKILL'))
  await sleep(300)
  const held = await cli(['flush', '--wait', '--timeout', '1', '--config', sb.configFile])
  t.is(held.code, 1)
  t.regex(held.stderr, /held\.txt: open for writing by pid \d+/)

  // the writer's cwd-less fd holds the union: evict names it
  const busy = await cli(['evict', '--config', sb.configFile])
  t.is(busy.code, 1)
  t.regex(busy.stderr, new RegExp(`pid ${writer.pid} \\((sh|sleep)\\)`))
  t.true(JSON.parse((await cli(['status', '--json', '--config', sb.configFile])).stdout).union.mounted)
  writer.kill('SIGKILL')
  await new Promise((r) => writer.once('exit', r))
  const ev = await cli(['evict', '--config', sb.configFile])
  t.is(ev.code, 0, ev.stderr)
  t.regex(ev.stdout, /reclaimed \d+ entries/)
  t.is(text(join(sb.lower, 'held.txt')), 'partial\n')
  t.is(text(join(sb.union, 'report.pdf')), 'pdf bytes')
  t.false(existsSync(join(sb.upper, 'report.pdf')), 'reclaimed')

  const c = await cli(['conflicts', '--json', '--config', sb.configFile])
  t.deepEqual(JSON.parse(c.stdout), [])
  t.true(await until(() => existsSync(sb.cfg.metricsFile), 10_000))
  const metrics = readFileSync(sb.cfg.metricsFile, 'utf8')
  t.regex(metrics, /^gfs_writecache_pending_entries\{host="hydra"\} \d+$/m)
  t.regex(metrics, /^gfs_writecache_up\{host="hydra"\} 1$/m)
  t.regex(metrics, /^# TYPE gfs_writecache_published_entries_total counter$/m)

  daemon.kill('SIGTERM')
  t.is(await exited, 0, log)
  t.false(existsSync(join(sb.cfg.stateDir, 'agent.lock')), 'lock released')
})

test('daemon: status --rescan counts a file written a moment before, as the flush playbook needs', async (t) => {
  // a long settle time makes the daemon look at upper once a second only: without the walk, a status
  // right after a write answers from before it
  const sb = await sandbox(t, { settleSeconds: 30, scanIntervalSeconds: 3600 })
  const daemon = spawn(process.execPath, [await agentBundle(), 'run', '--config', sb.configFile], { stdio: 'ignore' })
  t.teardown(() => daemon.kill('SIGKILL'))
  t.true(await until(() => existsSync(sb.cfg.socket), 10_000), 'socket appears')
  for (let i = 1; i <= 5; i++) {
    writeFileSync(join(sb.union, `new-${i}.txt`), `file ${i}\n`)
    const s = JSON.parse((await cli(['status', '--json', '--rescan', '--config', sb.configFile])).stdout)
    t.is(s.pending.entries, i, `status right after writing file ${i}`)
    t.is(s.rescanned, true)
  }
  const plain = JSON.parse((await cli(['status', '--json', '--config', sb.configFile])).stdout)
  t.is(plain.rescanned, undefined, 'a plain status does not claim a walk')
})

test('a status walk waits for a running pass at most its time, and then never runs', async (t) => {
  const sb = await sandbox(t)
  const agent = await sb.agent()
  let release = () => {}
  const pass = agent.exclusive(() => new Promise<void>((r) => (release = r)))
  let walked = false
  t.is(await agent.within(200, async () => (walked = true)), undefined, 'busy: no answer from a walk')
  release()
  await pass
  await sleep(50)
  t.false(walked, 'the late walk was dropped')
  t.is(await agent.within(200, async () => 'walked'), 'walked', 'idle: the walk runs')
})

test('CLI usage and config errors are clear, with exit code 2 (3, unknown, for status) and no stack trace', async (t) => {
  const dir = mkdtempSync('/tmp/gfswc-cfg-')
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const bad = join(dir, 'bad.json')
  writeFileSync(bad, JSON.stringify({ host: 'a b', upper: 'relative', work: '/w', lower: '/l', union: '/u', settleSeconds: -1, typo: 1 }))
  const r = await cli(['conflicts', '--config', bad])
  t.is(r.code, 2)
  t.is((await cli(['status', '--config', bad])).code, 3)
  t.regex(r.stderr, /host: expected a host name/)
  t.regex(r.stderr, /upper: expected an absolute path/)
  t.regex(r.stderr, /settleSeconds: expected a number >= 0/)
  t.regex(r.stderr, /typo: unknown key/)
  t.notRegex(r.stderr, /\n\s+at /)
  writeFileSync(bad, '{ nope')
  t.regex((await cli(['status', '--config', bad])).stderr, /invalid JSON/)
  t.is((await cli(['bogus'])).code, 2)
  t.is((await cli(['flush', '--timeout'])).code, 2)
  const v = await cli(['version'])
  t.regex(v.stdout.trim(), /^\d+\.\d+\.\d+/)
})

test('config: defaults, and the state dir must stay out of upper', (t) => {
  const base = { host: 'hydra', upper: '/data/writecache/upper', work: '/data/writecache/work', lower: '/gfs/gv0', union: '/gfs/union' }
  const c = parseConfig(base)
  t.is(c.stateDir, '/data/writecache/state')
  t.is(c.socket, '/run/gfs-writecache/agent.sock')
  t.is(c.metricsFile, '/var/lib/prometheus/node-exporter/gfs-writecache.prom')
  t.throws(() => parseConfig({ ...base, stateDir: '/data/writecache/upper/state' }), { message: /stateDir: must not be inside upper/ })
  t.throws(() => parseConfig({ ...base, lowWatermarkPercent: 90, highWatermarkPercent: 80 }), { message: /lowWatermarkPercent/ })
  t.throws(() => parseConfig({ ...base, upper: '/data/a,b' }), { message: /overlay mount options/ })
})

test('units: names from systemd-escape, ordering and the exact overlay options', (t) => {
  for (const p of ['/gfs/union', '/gfs/gv0', '/data/my cache/x-y', '/mnt/ünï.d/.hidden']) {
    t.is(escapePath(p), execFileSync('systemd-escape', ['--path', p], { encoding: 'utf8' }).trim(), p)
  }
  const units = agentUnits({ upper: '/data/writecache/upper', work: '/data/writecache/work', lower: '/gfs/gv0', union: '/gfs/union' })
  t.deepEqual(units.map((u) => u.name), ['gfs-writecache-prepare.service', 'gfs-union.mount', 'gfs-writecache.service'])
  const [prep, mount, svc] = units.map((u) => u.content)
  t.regex(prep, /^Type=oneshot$/m)
  t.regex(prep, /^After=gfs-gv0\.mount$/m)
  t.regex(prep, /^Before=gfs-union\.mount$/m)
  t.regex(prep, /^ExecStart=\/usr\/bin\/node \/usr\/local\/lib\/gfs-writecache\/agent\.mjs prepare$/m)
  t.regex(mount, /^What=overlay$/m)
  t.regex(mount, /^Where=\/gfs\/union$/m)
  t.regex(mount, /^Type=overlay$/m)
  t.regex(
    mount,
    /^Options=lowerdir=\/gfs\/gv0,upperdir=\/data\/writecache\/upper,workdir=\/data\/writecache\/work,redirect_dir=off,index=off,metacopy=off,xino=off,_netdev$/m,
  )
  t.regex(mount, /^Requires=gfs-gv0\.mount gfs-writecache-prepare\.service$/m)
  t.regex(mount, /^After=gfs-gv0\.mount gfs-writecache-prepare\.service$/m)
  t.regex(svc, /^Requires=gfs-union\.mount$/m)
  t.regex(svc, /^After=gfs-union\.mount$/m)
  t.regex(svc, /^ExecStart=.*node \/usr\/local\/lib\/gfs-writecache\/agent\.mjs run$/m)
  t.regex(svc, /^Restart=always$/m)
  t.is(mountUnitName('/gfs/union'), 'gfs-union.mount')
  const custom = agentUnits({ upper: '/u', work: '/w', lower: '/l', union: '/x', configFile: '/etc/other config.json' })
  t.regex(custom[2].content, /agent\.mjs run --config "\/etc\/other config\.json"$/m)
})

test('bundle: deterministic, Node 18 ESM with a shebang, node: builtins only, runs', async (t) => {
  const a = await bundleAgent()
  const b = await bundleAgent()
  t.is(a.sha256, b.sha256)
  t.is(a.code, b.code)
  t.true(a.code.startsWith('#!/usr/bin/env node\n'))
  const imports = [...a.code.matchAll(/^import .* from "([^"]+)";?$/gm)].map((m) => m[1])
  t.true(imports.length > 0)
  for (const spec of imports) t.true(spec.startsWith('node:'), spec)
  t.notRegex(a.code, /require\("(?!node:)/)
  for (const newer of ['import.meta.dirname', 'import.meta.filename', 'fs.glob', 'Promise.withResolvers', 'Object.groupBy', '.toSorted(', 'recursive: true, withFileTypes']) {
    t.false(a.code.includes(newer), `uses ${newer} (newer than Node 18)`)
  }
  t.false(a.code.includes('/work/main'), 'no absolute build paths')
  const dir = mkdtempSync('/tmp/gfswc-bundle-run-')
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'agent.mjs'), a.code, { mode: 0o755 })
  t.regex(execFileSync(join(dir, 'agent.mjs'), ['version'], { encoding: 'utf8' }), /^\d+\.\d+\.\d+/)
})
