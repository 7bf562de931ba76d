/**
 * Boot Loader Spec entries (`/boot/loader/entries/ostree-*.conf`) as ostree reads and writes them
 * (`ostree-bootconfig-parser.c`), and glibc's `strverscmp`, which orders the entries. Pure codec.
 *
 * Reading: each line that is not empty and does not start with `#` is split at its first space
 * or tab into key and value; a line with no separator is ignored. The first `initrd` is the main
 * one, later ones are overlay initrds; any other repeated key keeps its last value.
 * Writing: `title`, `version`, `options`, `devicetree`, `linux`, `initrd`, the overlay initrds,
 * then the unknown keys in the order they were read; each line is `key value`.
 */
import * as Data from "effect/Data"

/** A key or value that cannot be written as one `key value` line. */
export class BlsError extends Data.TaggedError("BlsError")<{ readonly reason: string }> {
  override get message(): string {
    return `bls: ${this.reason}`
  }
}

export interface BlsEntry {
  readonly title?: string
  readonly version?: string
  readonly options?: string
  readonly devicetree?: string
  readonly linux?: string
  /** The main initrd first, then overlay initrds. */
  readonly initrd: readonly string[]
  /** Keys ostree does not know, in file order. */
  readonly extra: ReadonlyArray<readonly [key: string, value: string]>
}

const known = ["title", "version", "options", "devicetree", "linux"] as const
type KnownKey = (typeof known)[number]
const isKnown = (k: string): k is KnownKey => (known as readonly string[]).includes(k)

/** Parses an entry file. Never fails: like ostree, lines it cannot use are skipped. */
export const parseBls = (text: string): BlsEntry => {
  const fields: Partial<Record<KnownKey, string>> = {}
  const initrd: string[] = []
  const extra = new Map<string, string>()
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue
    const sep = line.search(/[ \t]/)
    if (sep < 0) continue
    const key = line.slice(0, sep)
    const value = line.slice(sep + 1)
    if (key === "initrd") initrd.push(value)
    else if (isKnown(key)) fields[key] = value
    else extra.set(key, value)
  }
  return { ...fields, initrd, extra: [...extra] }
}

/** Serialises an entry in ostree's key order. Throws `BlsError` on a key or value that would break the line format. */
export const serializeBls = (entry: BlsEntry): string => {
  const lines: [string, string][] = []
  for (const k of known) {
    const v = entry[k]
    if (v !== undefined) lines.push([k, v])
  }
  for (const v of entry.initrd) lines.push(["initrd", v])
  for (const [k, v] of entry.extra) {
    if (isKnown(k) || k === "initrd") throw new BlsError({ reason: `"${k}" is a known key and cannot be an extra one` })
    lines.push([k, v])
  }
  let out = ""
  for (const [k, v] of lines) {
    if (k === "" || /[ \t\n\r]/.test(k) || k.startsWith("#")) throw new BlsError({ reason: `invalid key "${k}"` })
    if (v.includes("\n")) throw new BlsError({ reason: `value of "${k}" contains a newline` })
    out += `${k} ${v}\n`
  }
  return out
}

const enc = new TextEncoder()
const isDigit = (c: number) => c >= 0x30 && c <= 0x39
/** 0 for a non-digit, 1 for 1-9, 2 for 0 — glibc's symbol classes. */
const cls = (c: number) => (c === 0x30 ? 2 : isDigit(c) ? 1 : 0)

// glibc strverscmp state machine: S_N normal, S_I integral part, S_F fractional part, S_Z leading zeroes.
const S_N = 0, S_I = 3, S_F = 6, S_Z = 9
const CMP = 2, LEN = 3
// prettier-ignore
const nextState = [
  /* S_N */ S_N, S_I, S_Z,
  /* S_I */ S_N, S_I, S_I,
  /* S_F */ S_N, S_F, S_F,
  /* S_Z */ S_N, S_F, S_Z,
]
// rows: state + class of the first string's char; columns: class of the second string's char
// prettier-ignore
const resultType = [
  /*        x/x  x/d  x/0  d/x  d/d  d/0  0/x  0/d  0/0 */
  /* S_N */ CMP, CMP, CMP, CMP, LEN, CMP, CMP, CMP, CMP,
  /* S_I */ CMP, -1,  -1,  +1,  LEN, LEN, +1,  LEN, LEN,
  /* S_F */ CMP, CMP, CMP, CMP, CMP, CMP, CMP, CMP, CMP,
  /* S_Z */ CMP, +1,  +1,  -1,  CMP, CMP, -1,  CMP, CMP,
]

/**
 * glibc `strverscmp` on the UTF-8 bytes of `a` and `b`: digit runs compare numerically, and runs
 * with leading zeroes compare as fractions ("1.01" < "1.1" < "1.10"). Returns <0, 0 or >0.
 */
export const strverscmp = (a: string, b: string): number => {
  const p1 = enc.encode(a)
  const p2 = enc.encode(b)
  const at1 = (i: number) => p1[i] ?? 0
  const at2 = (i: number) => p2[i] ?? 0
  let i = 0
  let c1 = at1(0)
  let c2 = at2(0)
  let state = S_N + cls(c1)
  let diff: number
  while ((diff = c1 - c2) === 0) {
    if (c1 === 0) return 0
    state = nextState[state]!
    i++
    c1 = at1(i)
    c2 = at2(i)
    state += cls(c1)
  }
  const result = resultType[state * 3 + cls(c2)]!
  if (result === CMP) return diff
  if (result !== LEN) return result
  // both are in a digit run of the same length so far: the longer run is the bigger number
  let j = i + 1
  for (;;) {
    const d1 = isDigit(at1(j))
    const d2 = isDigit(at2(j))
    if (d1 && !d2) return 1
    if (!d1) return d2 ? -1 : diff
    j++
  }
}

/**
 * The order ostree lists entries in: by `version`, highest first (strverscmp); entries without
 * a version last, keeping their relative order.
 */
export const compareBlsEntries = (a: Pick<BlsEntry, "version">, b: Pick<BlsEntry, "version">): number => {
  if (a.version !== undefined && b.version !== undefined) return -strverscmp(a.version, b.version)
  if (a.version !== undefined) return -1
  if (b.version !== undefined) return 1
  return 0
}
