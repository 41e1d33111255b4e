// bench/results.svg: the write rates on a log scale and the drain over time, drawn by vega-lite from a
// results file (rendered to SVG in Node by vega, no canvas needed).
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import * as vega from 'vega'
import { compile, type TopLevelSpec } from 'vega-lite'
import type { DrainSample } from './drain-progress.ts'
import type { Results } from './report.ts'

export const chartPath = fileURLToPath(new URL('./results.svg', import.meta.url))

/** What the chart reads: results.json, with the figures only newer runs record (absent in older files). */
export type ChartInput = Results & {
  /** 4 KiB files per second, the local disk and unionfs-fuse as measured (older files: from the ratios) */
  writeRates?: { localDiskPerSecond: number; unionfsFusePerSecond: number }
  drainProgress?: DrainSample[]
}

export interface RateBar {
  target: string
  perSecond: number
  note: string
}

/** The five write targets of 4 KiB files, slowest first. */
export function rateBars(r: ChartInput): RateBar[] {
  const s = r.smallFiles
  const measured = r.writeRates
  const bars: RateBar[] = [
    { target: 'gv0 directly', perSecond: s.gv0PerSecond, note: 'measured' },
    { target: 'union, merged dir', perSecond: s.unionMergedDirPerSecond, note: 'measured' },
    { target: 'union, new dir', perSecond: s.unionNewDirPerSecond, note: 'measured' },
    {
      target: 'local disk',
      perSecond: measured?.localDiskPerSecond ?? s.unionNewDirPerSecond / r.unionVsLocal.smallFilesRatio,
      note: measured ? 'measured' : 'new dir / measured ratio',
    },
    {
      target: 'unionfs-fuse',
      perSecond: measured?.unionfsFusePerSecond ?? s.unionNewDirPerSecond / r.unionVsUnionfsFuse.smallFilesRatio,
      note: measured ? 'measured' : 'new dir / measured ratio',
    },
  ]
  return bars.filter((b) => Number.isFinite(b.perSecond) && b.perSecond > 0)
}

/** The backlog over time: the recorded samples, or for older results the large-file drain's average as a line. */
export function drainPoints(r: ChartInput): { seconds: number; pendingMiB: number; series: string }[] {
  if (r.drainProgress?.length) {
    return r.drainProgress.map((p) => ({ seconds: p.seconds, pendingMiB: p.pendingBytes / 1048576, series: "hydra's backlog from its agent's status, sampled about twice a second through the bench's flush step" }))
  }
  const mib = 20
  const seconds = (mib * 1048576 * 8) / 1000 / r.flush.largeDrainKbit
  if (!Number.isFinite(seconds)) return []
  const series = `20 MiB at this run's measured ${r.flush.largeDrainKbit} kbit/s (its average: runs before the drain was recorded over time)`
  return [
    { seconds: 0, pendingMiB: mib, series },
    { seconds, pendingMiB: 0, series },
  ]
}

/** The next power of ten above the fastest bar, with room for its label. */
function logCeiling(bars: RateBar[]): number {
  return 10 ** Math.ceil(Math.log10(Math.max(10, ...bars.map((b) => b.perSecond)) * 3))
}

/** The vega-lite spec: two panels, one above the other. */
export function chartSpec(r: ChartInput): TopLevelSpec {
  const bars = rateBars(r)
  const order = bars.map((b) => b.target)
  const drain = drainPoints(r)
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: 'gfs-writecache bench', subtitle: `${r.date.slice(0, 10)}, ${r.machine.split(';')[0]}` },
    config: { font: 'sans-serif', view: { stroke: null } },
    vconcat: [
      {
        title: `4 KiB files written per second (one writer; link ${r.seed.linkKbit} kbit/s, ${r.seed.rttMs} ms RTT), log scale`,
        width: 560,
        height: 170,
        data: { values: bars },
        encoding: {
          y: { field: 'target', type: 'nominal', sort: order, title: null },
          // a log scale has no zero: the bars start at 1 file per second
          x: { field: 'perSecond', type: 'quantitative', scale: { type: 'log', domain: [1, logCeiling(bars)] }, title: 'files per second' },
        },
        layer: [
          { mark: { type: 'bar', color: '#4c78a8' }, encoding: { x2: { datum: 1 } } },
          {
            mark: { type: 'text', align: 'left', dx: 4 },
            encoding: { text: { field: 'label', type: 'nominal' } },
            transform: [{ calculate: "format(datum.perSecond, datum.perSecond < 100 ? '.3~r' : ',.0f') + '/s' + (datum.note == 'measured' ? '' : ' (' + datum.note + ')')", as: 'label' }],
          },
        ],
      },
      {
        title: { text: `The drain into gv0 over time (link ${r.flush.linkKbit} kbit/s, ${r.seed.rttMs} ms RTT)`, subtitle: drain[0]?.series ?? 'not measured' },
        width: 560,
        height: 170,
        data: { values: drain },
        mark: { type: 'line', point: false, interpolate: 'linear', color: '#f58518' },
        encoding: {
          x: { field: 'seconds', type: 'quantitative', title: 'seconds' },
          y: { field: 'pendingMiB', type: 'quantitative', title: 'MiB pending on hydra' },
        },
      },
    ],
  }
}

/** The chart as SVG text. */
export async function renderChart(r: ChartInput): Promise<string> {
  const view = new vega.View(vega.parse(compile(chartSpec(r)).spec), { renderer: 'none' })
  try {
    return await view.toSVG()
  } finally {
    view.finalize()
  }
}

/** Writes the chart of a results file next to it (bench/results.svg for bench/results.json). */
export async function writeChart(resultsFile: string, svgFile = resultsFile.replace(/\.json$/, '.svg')): Promise<string> {
  const r = JSON.parse(readFileSync(resultsFile, 'utf8')) as ChartInput
  writeFileSync(svgFile, await renderChart(r))
  return svgFile
}

// `node --import tsx bench/chart.ts [results.json]`: draw the chart of an existing results file
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2] ?? fileURLToPath(new URL('./results.json', import.meta.url))
  process.stdout.write(`wrote ${await writeChart(file)}\n`)
}
