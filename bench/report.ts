// bench/results.json (field names fixed by the tooling that reads them), the terminal table, and the README's
// Benchmarks section, all from one run's figures.
import { readFileSync, writeFileSync } from 'node:fs'
import { cpus, release, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import { round } from './stats.ts'

export interface Results {
  machine: string
  date: string
  seed: { linkKbit: number; rttMs: number; gv0SmallBlocksKBps: number; unionSmallBlocksMBps: number; unionLargeBlocksMBps: number; speedup: number }
  smallFiles: {
    gv0PerSecond: number
    unionNewDirPerSecond: number
    unionMergedDirPerSecond: number
    unionMergedDirBrickLowerPerSecond: number
    unionMergedDirWhileDrainingPerSecond: number
    unionMergedDirBrickLowerWhileDrainingPerSecond: number
  }
  reads: { unionLargeMBps: number; localLargeMBps: number; largeRatio: number; unionSmallFilesPerSecond: number; localSmallFilesPerSecond: number; smallFilesRatio: number }
  unionVsLocal: { largeRatio: number; smallFilesRatio: number }
  unionVsUnionfsFuse: { largeRatio: number; smallFilesRatio: number }
  flush: {
    linkKbit: number
    largeDrainKbit: number
    largeEfficiency: number
    smallFilesPerSecond: number
    closeToDurableSeconds: number
    smallFilesSameDirPerSecond: number
    smallFilesManyDirsPerSecond: number
  }
  provision: {
    coldSeconds: number
    rerunSeconds: number
    rerunChanged: number
    rerunRoundTrips: number
    /** bench/ansible/site.yml on a fresh lab, from the shell; then its no-change re-run, median of 5 */
    ansibleColdSeconds: number
    ansibleRerunSeconds: number
    /** our no-change re-run from the shell / Ansible's (goal: at most 0.2) */
    rerunVsAnsible: number
  }
  uplink: { limitKbit: number; drainKbit: number; pingRttMsIdle: number; pingRttMsDrainUnlimited: number; pingRttMsDrainLimited: number }
  agent: { idleCpuPercent: number; entries: number; scanSeconds: number; peakRssMB: number }
}

/** A table row: what was measured, the figure, and its goal or how it was taken. */
export interface Row {
  section: string
  measure: string
  value: string
  note: string
}

export const resultsPath = fileURLToPath(new URL('./results.json', import.meta.url))
export const readmePath = fileURLToPath(new URL('../README.md', import.meta.url))

/** The machine the run happened on, in one line. */
export function machine(): string {
  const c = cpus()
  let os = 'Linux'
  try {
    os = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? os
  } catch {}
  return `${c.length} x ${c[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, ${os}, kernel ${release()}, Node ${process.versions.node}; lab hosts are systemd-nspawn containers on it`
}

/** Every number rounded to what the table shows, so results.json and the README agree. */
export function rounded(r: Results): Results {
  const walk = (v: unknown): unknown =>
    typeof v === 'number' ? round(v) : Array.isArray(v) ? v.map(walk) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)])) : v
  return walk(r) as Results
}

/** Writes bench/results.json with exactly the fields. */
export function writeResults(r: Results): void {
  writeFileSync(resultsPath, JSON.stringify(rounded(r), null, 2) + '\n')
}

/** A goal's verdict for the table; the benchmark reports goals and never fails on them. */
export function goal(met: boolean, text: string): string {
  return `${met ? 'met' : 'MISSED'}: ${text}`
}

/** The rows as an aligned text table for the terminal. */
export function textTable(rows: Row[]): string {
  const head: Row = { section: 'section', measure: 'measure', value: 'value', note: 'goal / method' }
  const all = [head, ...rows]
  const w = (k: keyof Row) => Math.max(...all.map((r) => r[k].length))
  const line = (r: Row) => `${r.section.padEnd(w('section'))}  ${r.measure.padEnd(w('measure'))}  ${r.value.padStart(w('value'))}  ${r.note}`
  return all.map(line).join('\n')
}

/** The rows as a Markdown table for the README. */
export function markdownTable(rows: Row[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|')
  return ['| | measure | value | goal / method |', '| --- | --- | ---: | --- |', ...rows.map((r) => `| ${esc(r.section)} | ${esc(r.measure)} | ${esc(r.value)} | ${esc(r.note)} |`)].join('\n')
}

/** Replaces the README's "## Benchmarks" section (inserted before "## Layout" the first time); nothing else changes. */
export function updateReadme(body: string): void {
  const text = readFileSync(readmePath, 'utf8')
  const section = `## Benchmarks\n\n${body.trim()}\n\n`
  const start = text.indexOf('\n## Benchmarks\n')
  let next: string
  if (start >= 0) {
    const end = text.indexOf('\n## ', start + 1)
    next = text.slice(0, start + 1) + section + (end >= 0 ? text.slice(end + 1) : '')
  } else {
    const layout = text.indexOf('\n## Layout\n')
    next = layout >= 0 ? text.slice(0, layout + 1) + section + text.slice(layout + 1) : `${text.trimEnd()}\n\n${section}`
  }
  writeFileSync(readmePath, next.trimEnd() + '\n')
}
