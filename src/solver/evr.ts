/**
 * Fast EVR comparison for the solver. formats/rpm/evr.ts is rpm's rpmvercmp on strings; the
 * solver compares the same few thousand interned versions over and over, so each is split once
 * into tokens — numbers, letter runs, `~` and `^` — and compared token by token with exactly
 * rpmvercmp's rules (a number beats letters, `~` sorts before everything including the end,
 * `^` after the end but before anything else). test/solver/evr.test.ts checks it against
 * formats/rpm/evr.ts on generated versions.
 */
import { SENSE_EQUAL, SENSE_GREATER, SENSE_LESS } from "../formats/rpm/evr.js"

/** ≥ 0: a number (≤ 15 digits); -1: `~`; -2: `^`; a string: letters, or "\0" + a longer number. */
export type Token = number | string
const TILDE = -1
const CARET = -2

export interface EvrKey {
  /** undefined: no epoch written. */
  readonly epoch: string | undefined
  readonly version: ReadonlyArray<Token>
  /** undefined: no release written. */
  readonly release: ReadonlyArray<Token> | undefined
  /** A non-empty release was written (rpm tests the release string, not its tokens). */
  readonly hasRelease: boolean
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57
const isAlpha = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122)

export const tokenize = (s: string): Token[] => {
  const out: Token[] = []
  let i = 0
  const n = s.length
  while (i < n) {
    const c = s.charCodeAt(i)
    if (c === 126) {
      out.push(TILDE)
      i++
    } else if (c === 94) {
      out.push(CARET)
      i++
    } else if (isDigit(c)) {
      let j = i
      while (j < n && isDigit(s.charCodeAt(j))) j++
      let k = i
      while (k < j - 1 && s.charCodeAt(k) === 48) k++
      out.push(j - k <= 15 ? Number(s.slice(k, j)) : `\0${s.slice(k, j)}`)
      i = j
    } else if (isAlpha(c)) {
      let j = i
      while (j < n && isAlpha(s.charCodeAt(j))) j++
      out.push(s.slice(i, j))
      i = j
    } else i++ // a separator
  }
  return out
}

const isNum = (t: Token): boolean => (typeof t === "number" ? t >= 0 : t.charCodeAt(0) === 0)

/** rpmvercmp over token lists: 1, 0 or -1. */
export const compareTokens = (a: ReadonlyArray<Token>, b: ReadonlyArray<Token>): number => {
  let i = 0
  let j = 0
  for (;;) {
    const ta = i < a.length ? a[i]! : undefined
    const tb = j < b.length ? b[j]! : undefined
    if (ta === TILDE || tb === TILDE) {
      if (ta !== TILDE) return 1
      if (tb !== TILDE) return -1
      i++, j++
      continue
    }
    if (ta === CARET || tb === CARET) {
      if (ta === undefined) return -1
      if (tb === undefined) return 1
      if (ta !== CARET) return 1
      if (tb !== CARET) return -1
      i++, j++
      continue
    }
    if (ta === undefined || tb === undefined) return ta === undefined && tb === undefined ? 0 : ta === undefined ? -1 : 1
    const na = isNum(ta)
    if (na !== isNum(tb)) return na ? 1 : -1
    if (ta !== tb) {
      if (typeof ta === "number" && typeof tb === "number") return ta < tb ? -1 : 1
      if (na) {
        // a long number against another number: more digits is bigger, then by digits
        const sa = typeof ta === "number" ? `\0${ta}` : ta
        const sb = typeof tb === "number" ? `\0${tb}` : tb
        if (sa.length !== sb.length) return sa.length < sb.length ? -1 : 1
        return sa < sb ? -1 : 1
      }
      return (ta as string) < (tb as string) ? -1 : 1
    }
    i++, j++
  }
}

/** Splits "[epoch:]version[-release]" like rpm's parseEVR and tokenizes the parts. */
export const evrKey = (evr: string): EvrKey => {
  let k = 0
  while (k < evr.length && isDigit(evr.charCodeAt(k))) k++
  let epoch: string | undefined
  let rest = evr
  if (evr.charCodeAt(k) === 58) {
    epoch = evr.slice(0, k) || "0"
    rest = evr.slice(k + 1)
  }
  const dash = rest.lastIndexOf("-")
  return dash >= 0
    ? { epoch, version: tokenize(rest.slice(0, dash)), release: tokenize(rest.slice(dash + 1)), hasRelease: dash + 1 < rest.length }
    : { epoch, version: tokenize(rest), release: undefined, hasRelease: false }
}

const epochCmp = (a: string, b: string): number => compareTokens(tokenize(a), tokenize(b))

/** rpm's EVR order: a missing epoch is 0, a missing release sorts first. */
export const compareKeys = (x: EvrKey, y: EvrKey): number => {
  const e = x.epoch === y.epoch ? 0 : epochCmp(x.epoch ?? "0", y.epoch ?? "0")
  if (e) return e
  const v = compareTokens(x.version, y.version)
  if (v) return v
  if (x.release === undefined || y.release === undefined) return x.release === y.release ? 0 : x.release === undefined ? -1 : 1
  return compareTokens(x.release, y.release)
}

const positive = (e: string | undefined): boolean => e !== undefined && e !== "" && Number.parseInt(e, 10) > 0

/** rpmverOverlap (formats/rpm/evr.ts rangesOverlap) over tokenized versions. */
export const keysOverlap = (v1: EvrKey, f1: number, v2: EvrKey, f2: number): boolean => {
  let sense = 0
  if (v1.epoch && v2.epoch) sense = epochCmp(v1.epoch, v2.epoch)
  else if (positive(v1.epoch)) sense = 1
  else if (positive(v2.epoch)) sense = -1
  if (sense === 0) {
    sense = compareTokens(v1.version, v2.version)
    if (sense === 0) {
      if (v1.hasRelease && v2.hasRelease) sense = compareTokens(v1.release!, v2.release!)
      else if ((v1.hasRelease && f2 & SENSE_EQUAL) || (v2.hasRelease && f1 & SENSE_EQUAL)) return true
    }
  }
  if (sense < 0) return (f1 & SENSE_GREATER) !== 0 || (f2 & SENSE_LESS) !== 0
  if (sense > 0) return (f1 & SENSE_LESS) !== 0 || (f2 & SENSE_GREATER) !== 0
  return ((f1 & SENSE_EQUAL) !== 0 && (f2 & SENSE_EQUAL) !== 0) || ((f1 & SENSE_LESS) !== 0 && (f2 & SENSE_LESS) !== 0) || ((f1 & SENSE_GREATER) !== 0 && (f2 & SENSE_GREATER) !== 0)
}
