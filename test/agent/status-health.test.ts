// `gfs-writecache status` as a monitor calls it: the shipped bundle's exit code in each state, journald prefixes.
import test from 'ava'
import { execFileSync, spawn } from 'node:child_process'
import { closeSync, fstatSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import { startDaemon } from '../../src/agent/service/daemon.ts'
import { agentBundle, sandbox } from './helpers.ts'

/** The bundled CLI, run without blocking this process (an in-process daemon must answer it). */
async function cli(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  const file = await agentBundle()
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file, ...args], { env })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (b) => (stdout += b))
    child.stderr.on('data', (b) => (stderr += b))
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }))
  })
}

const noGluster = { glusterCheckSeconds: 0 }

test('status exits 0 with the daemon running and the union mounted, 2 once the union is gone', async (t) => {
  const sb = await sandbox(t, noGluster)
  const d = await startDaemon(sb.cfg, (l) => t.log(l))
  t.teardown(() => d.stop())
  const ok = await cli(['status', '--config', sb.configFile])
  t.is(ok.code, 0, ok.stdout + ok.stderr)
  t.is(ok.stdout.split('\n')[0], 'OK')
  sb.umount()
  const down = await cli(['status', '--config', sb.configFile])
  t.is(down.code, 2)
  t.is(down.stdout.split('\n')[0], `CRITICAL: union ${sb.union} not mounted: writes land on the root disk`)
  const json = await cli(['status', '--json', '--config', sb.configFile])
  t.is(json.code, 0, '--json reports with exit 0; the verdict is in the JSON')
  t.like(JSON.parse(json.stdout).health, { state: 'critical', code: 2 })
  sb.mount()
})

test('status exits 2 when no agent runs, 1 when that is set to warning, 0 when ignored', async (t) => {
  const sb = await sandbox(t, noGluster)
  const r = await cli(['status', '--config', sb.configFile])
  t.is(r.code, 2)
  t.regex(r.stdout, /^CRITICAL: flush agent not running/)
  writeFileSync(sb.configFile, JSON.stringify({ ...sb.cfg, health: { ...sb.cfg.health, agentDown: 'warning' } }))
  t.is((await cli(['status', '--config', sb.configFile])).code, 1)
  writeFileSync(sb.configFile, JSON.stringify({ ...sb.cfg, health: { ...sb.cfg.health, agentDown: 'ignore' } }))
  t.is((await cli(['status', '--config', sb.configFile])).code, 0)
})

test('status exits by the oldest pending age against the thresholds', async (t) => {
  const sb = await sandbox(t, { ...noGluster, settleSeconds: 3600 })
  const d = await startDaemon(sb.cfg, (l) => t.log(l))
  t.teardown(() => d.stop())
  writeFileSync(`${sb.union}/waiting`, 'x')
  await new Promise((r) => setTimeout(r, 2200))
  const write = (health: object) => writeFileSync(sb.configFile, JSON.stringify({ ...sb.cfg, health: { ...sb.cfg.health, ...health } }))
  write({ pendingAgeWarningSeconds: 1, pendingAgeCriticalSeconds: 3600 })
  const warn = await cli(['status', '--config', sb.configFile])
  t.is(warn.code, 1, warn.stdout)
  t.regex(warn.stdout, /^WARNING: oldest unpublished change \d+ s old \(threshold 1 s\)/)
  write({ pendingAgeWarningSeconds: 1, pendingAgeCriticalSeconds: 2 })
  t.is((await cli(['status', '--config', sb.configFile])).code, 2)
})

test('status exits 3 (unknown) when it cannot report: bad config, bad usage', async (t) => {
  const sb = await sandbox(t, noGluster, { mount: false })
  writeFileSync(sb.configFile, '{"host": "hydra"')
  const r = await cli(['status', '--config', sb.configFile])
  t.is(r.code, 3)
  t.regex(r.stdout, /^UNKNOWN: .*invalid JSON/)
  t.is((await cli(['status', '--bogus'])).code, 3)
  t.is((await cli(['flush', '--bogus'])).code, 2, 'other commands keep usage exit 2')
})

test('log lines carry sd-daemon priorities when stderr is the journal ($JOURNAL_STREAM), none on a terminal or pipe', async (t) => {
  const sb = await sandbox(t, noGluster)
  execFileSync('mkfifo', [`${sb.union}/pipe`])
  const plain = await cli(['flush', '--config', sb.configFile])
  t.regex(plain.stderr, /^error: pipe: /m)
  t.false(/^<\d>/m.test(plain.stderr), plain.stderr)
  // stderr into a file that stands in for the journal stream: systemd names it by device and inode
  const file = `${sb.dir}/journal`
  const fd = openSync(file, 'w')
  const st = fstatSync(fd)
  const bundle = await agentBundle()
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, [bundle, 'flush', '--config', sb.configFile], { stdio: ['ignore', 'ignore', fd], env: { ...process.env, JOURNAL_STREAM: `${st.dev}:${st.ino}` } })
    child.on('close', (c) => resolve(c ?? -1))
  })
  closeSync(fd)
  const journal = readFileSync(file, 'utf8')
  t.is(code, 0)
  t.regex(journal, /^<4>error: pipe: /m, 'an entry that cannot be published is a warning')
  t.true(journal.split('\n').filter(Boolean).every((l) => /^<[3-6]>/.test(l)), journal)
})
