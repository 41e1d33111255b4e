// bench/results.svg: drawn by vega-lite from a results file, the committed one and one with a recorded drain.
import test from 'ava'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { drainPoints, rateBars, renderChart, writeChart, type ChartInput } from '../../bench/chart.ts'
import { parseSamples } from '../../bench/drain-progress.ts'

const committed = JSON.parse(readFileSync(new URL('../../bench/results.json', import.meta.url), 'utf8')) as ChartInput

/** A rate as the chart labels it (d3 format: 3 significant digits below 100, else thousands separators). */
const rate = (x: number) => (x < 100 ? String(Number(x.toPrecision(3))) : Math.round(x).toLocaleString('en-US'))

/** The text of the SVG's <text> elements, in order. */
const texts = (svg: string) => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!.replace(/&#39;/g, "'").replace(/&amp;/g, '&'))

test('the committed results.json draws: five write rates on a log scale, the drain, an SVG a browser shows', async (t) => {
  const svg = await renderChart(committed)
  t.regex(svg, /^<svg [^>]*width="\d+" height="\d+"/)
  const words = texts(svg)
  for (const target of ['gv0 directly', 'union, merged dir', 'union, new dir', 'local disk', 'unionfs-fuse']) t.true(words.includes(target), target)
  const s = committed.smallFiles
  t.true(words.includes(`${rate(s.gv0PerSecond)}/s`), 'gv0 directly, from results.json')
  t.true(words.includes(`${rate(s.unionNewDirPerSecond)}/s`), 'new dir, from results.json')
  const local = committed.writeRates?.localDiskPerSecond
  if (local !== undefined) t.true(words.includes(`${rate(local)}/s`), 'local disk, measured')
  else t.true(words.some((w) => w.startsWith(`${rate(s.unionNewDirPerSecond / committed.unionVsLocal.smallFilesRatio)}/s (new dir / measured ratio)`)), 'local disk derived from the ratio, and said so')
  t.true(words.includes('1,000') && words.includes('100,000'), 'log-scale ticks')
  t.true(words.includes('MiB pending on hydra'))
  t.true(readFileSync(new URL('../../bench/results.svg', import.meta.url), 'utf8') === svg, 'bench/results.svg is the chart of the committed results.json (node --import tsx bench/chart.ts)')
})

test('a results file with measured rates and a recorded drain: those are drawn, nothing derived', async (t) => {
  const drainProgress = [0, 1, 2, 3, 4].map((s) => ({ seconds: s, pendingBytes: (4 - s) * 5 * 1048576, pendingEntries: 4 - s }))
  const r: ChartInput = { ...committed, writeRates: { localDiskPerSecond: 26522, unionfsFusePerSecond: 1.67 }, drainProgress }
  t.deepEqual(rateBars(r).map((b) => [b.target, b.perSecond, b.note]), [
    ['gv0 directly', committed.smallFiles.gv0PerSecond, 'measured'],
    ['union, merged dir', committed.smallFiles.unionMergedDirPerSecond, 'measured'],
    ['union, new dir', committed.smallFiles.unionNewDirPerSecond, 'measured'],
    ['local disk', 26522, 'measured'],
    ['unionfs-fuse', 1.67, 'measured'],
  ])
  t.deepEqual(drainPoints(r).map((p) => p.pendingMiB), [20, 15, 10, 5, 0])
  const dir = mkdtempSync(join(tmpdir(), 'chart-'))
  const file = join(dir, 'results.json')
  writeFileSync(file, JSON.stringify(r))
  const svg = readFileSync(await writeChart(file), 'utf8')
  const words = texts(svg)
  t.true(words.includes('26,522/s'))
  t.false(words.some((w) => w.includes('measured ratio')))
  t.true(words.some((w) => w.startsWith("hydra's backlog from its agent's status, sampled")))
})

test('drain samples: one per status line, timed from the start, lines without a report left out', (t) => {
  const report = (bytes: number, entries: number) => JSON.stringify({ pending: { bytes, entries, oldestAgeSeconds: null } })
  const stdout = `100.5 ${report(2048, 2)}\n101.0 \n101.5 ${report(0, 0)}\n`
  t.deepEqual(parseSamples(stdout, 100), [
    { seconds: 0.5, pendingBytes: 2048, pendingEntries: 2 },
    { seconds: 1.5, pendingBytes: 0, pendingEntries: 0 },
  ])
})
