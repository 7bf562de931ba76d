/**
 * The human formats ostree's CLI prints through GLib, reproduced so strata's output matches it
 * line for line: g_format_size (SI units, one decimal) and the two UTC date styles ostree uses.
 */

const UNITS = ["kB", "MB", "GB", "TB", "PB", "EB"] as const

/** g_format_size: "1 byte", "182 bytes", "100.5 kB", "1.2 MB" (powers of 1000; GLib puts a no-break space before units). */
export const formatSize = (bytes: number | bigint): string => {
  const n = Number(bytes)
  if (n < 1000) return `${n} ${n === 1 ? "byte" : "bytes"}`
  let factor = 1000
  let unit = 0
  while (unit < UNITS.length - 1 && n >= factor * 1000) {
    factor *= 1000
    unit++
  }
  return `${printf1(n / factor)}\u00a0${UNITS[unit]}`
}

/** printf("%.1f"): like toFixed(1), but an exact tie rounds to even as glibc does (1.25 → "1.2"). */
const printf1 = (d: number): string => {
  if (Number.isInteger(d * 20) && !Number.isInteger(d * 10)) {
    const q = Math.floor(d * 10)
    return ((q % 2 === 0 ? q : q + 1) / 10).toFixed(1)
  }
  return d.toFixed(1)
}

const pad = (n: number, w = 2): string => String(n).padStart(w, "0")

const utc = (secs: bigint): Date | undefined => {
  const ms = Number(secs) * 1000
  // GDateTime covers years 1..9999; outside that ostree reports an invalid timestamp.
  if (!Number.isFinite(ms) || ms < -62135596800000 || ms > 253402300799000) return undefined
  return new Date(ms)
}

const ymdhms = (d: Date, sep: string): string =>
  `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}${sep}` +
  `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`

/** `ostree show`/`log`: "2024-01-02 03:04:05 +0000". */
export const formatCommitDate = (secs: bigint): string => {
  const d = utc(secs)
  return d ? `${ymdhms(d, " ")} +0000` : "(invalid timestamp)"
}

/** `ostree summary -v`: "2024-01-02T03:04:05+00". */
export const formatIsoDate = (secs: bigint): string => {
  const d = utc(secs)
  return d ? `${ymdhms(d, "T")}+00` : "(invalid timestamp)"
}
