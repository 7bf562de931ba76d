/** Shared pieces of the benchmarks: shell steps, medians and the ratio table. */
import { spawnSync } from "node:child_process"

/** Prints `bench:<name>: msg` and exits 1. */
export function fatal(name: string, msg: string): never {
  console.error(`bench:${name}: ${msg}`)
  process.exit(1)
}

/** Runs a shell step whose failure ends the benchmark. */
export const sh = (name: string, script: string): string => {
  const r = spawnSync("sh", ["-c", script], { encoding: "utf8", maxBuffer: 256 << 20 })
  if (r.status !== 0) fatal(name, `\`${script}\` failed: ${r.stderr.trim().split("\n")[0] ?? ""}`)
  return r.stdout
}

export const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/** One row of the table: operation, reference s, strata s, ratio, RSS columns, then free text. */
export const printRow = (cells: ReadonlyArray<string>, firstWidth: number): void => {
  const widths = [firstWidth, 9, 9, 6, 10, 10]
  console.log(cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : i < widths.length ? c.padStart(widths[i]!) : `  ${c}`)).join(" "))
}
