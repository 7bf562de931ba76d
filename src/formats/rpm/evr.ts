/**
 * Versions the way rpm compares them: `rpmvercmp` on version and release strings, EVR parsing
 * (`[epoch:]version[-release]`), EVR ordering, and dependency range overlap (`rpmdsCompare`):
 * a `Requires: foo >= 1:2.0` against a `Provides: foo = 1:2.1-3`.
 *
 * Only ASCII letters and digits form segments (rpm uses `risalpha`/`risdigit`, which are
 * ASCII-only), so comparing UTF-16 code units here gives exactly rpm's byte comparison.
 */

const isDigit = (c: number): boolean => c >= 48 && c <= 57
const isAlpha = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
const TILDE = 126
const CARET = 94

/** rpm's rpmvercmp: 1 when a is newer, -1 when b is newer, 0 when equal. */
export const rpmvercmp = (a: string, b: string): -1 | 0 | 1 => {
  if (a === b) return 0
  let i = 0
  let j = 0
  const la = a.length
  const lb = b.length
  const at = (s: string, k: number, n: number): number => (k < n ? s.charCodeAt(k) : 0)
  while (i < la || j < lb) {
    // Skip separators: anything that is neither alphanumeric nor ~ nor ^.
    while (i < la && !isDigit(at(a, i, la)) && !isAlpha(at(a, i, la)) && at(a, i, la) !== TILDE && at(a, i, la) !== CARET) i++
    while (j < lb && !isDigit(at(b, j, lb)) && !isAlpha(at(b, j, lb)) && at(b, j, lb) !== TILDE && at(b, j, lb) !== CARET) j++
    const ca = at(a, i, la)
    const cb = at(b, j, lb)
    // Tilde sorts before everything, even the end of the string.
    if (ca === TILDE || cb === TILDE) {
      if (ca !== TILDE) return 1
      if (cb !== TILDE) return -1
      i++, j++
      continue
    }
    // Caret sorts after the end of the string but before any other segment.
    if (ca === CARET || cb === CARET) {
      if (i >= la) return -1
      if (j >= lb) return 1
      if (ca !== CARET) return 1
      if (cb !== CARET) return -1
      i++, j++
      continue
    }
    if (!(i < la && j < lb)) break
    const numeric = isDigit(ca)
    const inSeg = numeric ? isDigit : isAlpha
    let ei = i
    let ej = j
    while (ei < la && inSeg(a.charCodeAt(ei))) ei++
    while (ej < lb && inSeg(b.charCodeAt(ej))) ej++
    // A numeric segment against an alpha one (b's segment is empty of a's kind): numeric wins.
    if (ej === j) return numeric ? 1 : -1
    let sa = a.slice(i, ei)
    let sb = b.slice(j, ej)
    if (numeric) {
      sa = sa.replace(/^0+/, "")
      sb = sb.replace(/^0+/, "")
      if (sa.length !== sb.length) return sa.length > sb.length ? 1 : -1
    }
    if (sa !== sb) return sa < sb ? -1 : 1
    i = ei
    j = ej
  }
  if (i >= la && j >= lb) return 0
  return i >= la ? -1 : 1
}

export interface Evr {
  /** Undefined when the string had no `epoch:` (rpm then skips the epoch comparison). */
  readonly epoch: string | undefined
  readonly version: string
  readonly release: string | undefined
}

/** Splits `[epoch:]version[-release]` like rpm's parseEVR (release after the last '-'). */
export const parseEvr = (evr: string): Evr => {
  let k = 0
  while (k < evr.length && isDigit(evr.charCodeAt(k))) k++
  let epoch: string | undefined
  let rest = evr
  if (evr[k] === ":") {
    epoch = evr.slice(0, k) || "0"
    rest = evr.slice(k + 1)
  }
  const dash = rest.lastIndexOf("-")
  // rpm searches for '-' from the end of the epoch digits, so a '-' inside the epoch part can't match.
  return dash >= 0 ? { epoch, version: rest.slice(0, dash), release: rest.slice(dash + 1) } : { epoch, version: rest, release: undefined }
}

export const formatEvr = ({ epoch, version, release }: { epoch?: string | number | undefined; version: string; release?: string | undefined }): string =>
  `${epoch !== undefined && epoch !== null && `${epoch}` !== "" ? `${epoch}:` : ""}${version}${release !== undefined ? `-${release}` : ""}`

/** Orders two EVRs like rpmverCmp: a missing epoch counts as 0, a missing release sorts first. */
export const compareEvr = (a: Evr | string, b: Evr | string): -1 | 0 | 1 => {
  const x = typeof a === "string" ? parseEvr(a) : a
  const y = typeof b === "string" ? parseEvr(b) : b
  const cmp = (p: string | undefined, q: string | undefined): -1 | 0 | 1 =>
    p === undefined && q === undefined ? 0 : p === undefined ? -1 : q === undefined ? 1 : rpmvercmp(p, q)
  return cmp(x.epoch ?? "0", y.epoch ?? "0") || cmp(x.version, y.version) || cmp(x.release, y.release)
}

/** Dependency sense flags (RPMSENSE_LESS/GREATER/EQUAL); other bits are ignored here. */
export const SENSE_LESS = 0x02
export const SENSE_GREATER = 0x04
export const SENSE_EQUAL = 0x08
export const SENSE_MASK = 0x0e

export const senseOperator = (flags: number): string => {
  const f = flags & SENSE_MASK
  return f === SENSE_EQUAL ? "=" : f === SENSE_LESS ? "<" : f === SENSE_GREATER ? ">" : f === (SENSE_LESS | SENSE_EQUAL) ? "<=" : f === (SENSE_GREATER | SENSE_EQUAL) ? ">=" : ""
}

export const operatorSense = (op: string): number => {
  switch (op) {
    case "=": case "==": return SENSE_EQUAL
    case "<": return SENSE_LESS
    case ">": return SENSE_GREATER
    case "<=": case "=<": return SENSE_LESS | SENSE_EQUAL
    case ">=": case "=>": return SENSE_GREATER | SENSE_EQUAL
    default: return 0
  }
}

const positive = (e: string | undefined): boolean => e !== undefined && e !== "" && Number.parseInt(e, 10) > 0

/**
 * Whether two version ranges overlap, like rpmverOverlap: epochs compare only when both are
 * given (otherwise a positive epoch on one side wins); a side without a release matches any
 * release when the other side's operator includes '='.
 */
export const rangesOverlap = (a: { evr: Evr | string; flags: number }, b: { evr: Evr | string; flags: number }): boolean => {
  const v1 = typeof a.evr === "string" ? parseEvr(a.evr) : a.evr
  const v2 = typeof b.evr === "string" ? parseEvr(b.evr) : b.evr
  const f1 = a.flags
  const f2 = b.flags
  let sense = 0
  if (v1.epoch && v2.epoch) sense = rpmvercmp(v1.epoch, v2.epoch)
  else if (positive(v1.epoch)) sense = 1
  else if (positive(v2.epoch)) sense = -1
  if (sense === 0) {
    sense = rpmvercmp(v1.version, v2.version)
    if (sense === 0) {
      if (v1.release && v2.release) sense = rpmvercmp(v1.release, v2.release)
      else if ((v1.release && f2 & SENSE_EQUAL) || (v2.release && f1 & SENSE_EQUAL)) return true
    }
  }
  if (sense < 0) return (f1 & SENSE_GREATER) !== 0 || (f2 & SENSE_LESS) !== 0
  if (sense > 0) return (f1 & SENSE_LESS) !== 0 || (f2 & SENSE_GREATER) !== 0
  return (
    ((f1 & SENSE_EQUAL) !== 0 && (f2 & SENSE_EQUAL) !== 0) ||
    ((f1 & SENSE_LESS) !== 0 && (f2 & SENSE_LESS) !== 0) ||
    ((f1 & SENSE_GREATER) !== 0 && (f2 & SENSE_GREATER) !== 0)
  )
}

export interface Dep {
  readonly name: string
  readonly flags: number
  /** "" for an unversioned dependency. */
  readonly evr: string
}

/**
 * Whether a provide satisfies a requirement (rpmdsCompare): same name, and either side
 * unversioned (an existence test), or the ranges overlap.
 */
export const depMatches = (provide: Dep, require: Dep): boolean => {
  if (provide.name !== require.name) return false
  if (!((provide.flags & SENSE_MASK) && (require.flags & SENSE_MASK))) return true
  if (!provide.evr || !require.evr) return true
  return rangesOverlap({ evr: provide.evr, flags: provide.flags }, { evr: require.evr, flags: require.flags })
}

export const formatDep = (d: Dep): string => (d.flags & SENSE_MASK && d.evr ? `${d.name} ${senseOperator(d.flags)} ${d.evr}` : d.name)
