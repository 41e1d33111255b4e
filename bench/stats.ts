// Repeating short measurements on a noisy machine and summarising them.

/** Median of a list of numbers (mean of the two middle ones for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** Runs a measurement n times in a row and returns every value, so the report can say median of n. */
export async function repeat(n: number, measure: (run: number) => Promise<number>): Promise<number[]> {
  const values: number[] = []
  for (let i = 0; i < n; i++) values.push(await measure(i))
  return values
}

/** Rounds to a few significant digits for the report (results.json keeps what the table shows). */
export function round(x: number, digits = 3): number {
  if (!Number.isFinite(x) || x === 0) return x
  const p = Math.pow(10, Math.max(0, digits - 1 - Math.floor(Math.log10(Math.abs(x)))))
  return Math.round(x * p) / p
}
