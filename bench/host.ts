// Running commands on the lab hosts for the benchmark: argv arrays only, failures thrown with their output.
import * as lab from '../src/lab/api.ts'
import { hostScript } from './host-script.ts'

export type HostName = 'hydra' | 'plexus'

/** Runs argv on a host and returns stdout; throws with stderr when it fails, since a benchmark step cannot go on. */
export async function onHost(host: HostName, argv: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  const r = await lab.exec(host, argv, { timeoutMs: 300_000, ...opts })
  if (r.exitCode !== 0) throw new Error(`${host}: ${argv.join(' ')} exited ${r.exitCode}: ${(r.stderr.trim() || r.stdout.trim()).slice(-2000)}`)
  return r.stdout
}

/** Runs argv on a host and reports whether it succeeded, for clean-up steps that may find nothing to do. */
export async function tryOnHost(host: HostName, argv: string[], opts: { timeoutMs?: number } = {}): Promise<boolean> {
  return (await lab.exec(host, argv, { timeoutMs: 120_000, ...opts })).exitCode === 0
}

/** Runs one command of the host-side workload program and parses its JSON answer. */
export async function hostWorkload<T>(host: HostName, args: (string | number)[], timeoutMs = 300_000): Promise<T> {
  const stdout = await onHost(host, ['node', '-', ...args.map(String)], { input: hostScript, timeoutMs })
  const line = stdout.trim().split('\n').pop() ?? ''
  return JSON.parse(line) as T
}

export interface DdResult {
  bytes: number
  seconds: number
}

/** dd from /dev/zero into a file on a host (conv=fsync: the data is on disk when dd ends); parsed from dd's summary. */
export async function dd(host: HostName, file: string, bs: string, count: number): Promise<DdResult> {
  const r = await lab.exec(host, ['dd', 'if=/dev/zero', `of=${file}`, `bs=${bs}`, `count=${count}`, 'conv=fsync'], { timeoutMs: 300_000 })
  if (r.exitCode !== 0) throw new Error(`${host}: dd of=${file} exited ${r.exitCode}: ${r.stderr.trim()}`)
  const m = /(\d+) bytes .* copied, ([\d.e+-]+) s/.exec(r.stderr)
  if (!m) throw new Error(`${host}: cannot read dd's summary: ${r.stderr.trim()}`)
  return { bytes: Number(m[1]), seconds: Number(m[2]) }
}

/** Drops the host's dentry cache, so names created in gv0 behind the union's back are looked up again. */
export async function dropDentries(host: HostName): Promise<void> {
  await onHost(host, ['sh', '-c', 'sync; echo 2 > /proc/sys/vm/drop_caches'])
}
