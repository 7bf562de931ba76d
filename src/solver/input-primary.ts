/**
 * Pool input straight from primary.xml bytes — the cold path of a large repository. A
 * hand-written scanner over the UTF-8 bytes reads only what the solver needs (name, arch,
 * version, dependency entries, files, pkgid) and interns names and versions from the bytes
 * (strings.ts internBytes), so a 63k-package repository is read without building a string or an
 * object per field. Everything else (summaries, descriptions, sizes) is skipped unread.
 *
 * Safe to scan by '<': in XML text and attribute values '<' is always escaped, and createrepo
 * writes no CDATA or comments inside packages. Entities (&lt; &amp; &#NN; …) are decoded where
 * they occur — typically in rich dependencies such as "(foo &gt;= 1 or bar)".
 */
import "./rich.js" // pool.dep parses rich dependencies with it
import { SENSE_EQUAL, SENSE_GREATER, SENSE_LESS } from "../formats/rpm/evr.js"
import { NKINDS } from "./package.js"
import type { Pool } from "./pool.js"

export class PrimaryXmlError extends Error {
  override readonly name = "PrimaryXmlError"
}

const LT = 60 // <
const GT = 62 // >
const SLASH = 47
const AMP = 38

const decoder = new TextDecoder()

// element ids
const PACKAGE = 1
const NAME = 2
const ARCH = 3
const VERSION = 4
const ENTRY = 5
const FILE = 6
const CHECKSUM = 7
const METADATA = 8
const KIND0 = 10 // rpm:provides … rpm:enhances → 10 + kind

/** The element id of the tag name in b[s, e), by length and a few bytes — no strings. */
const elementOf = (b: Uint8Array, s: number, e: number): number => {
  const len = e - s
  const c = b[s]!
  if (c === 114 /* r */) {
    // rpm:…
    if (len < 7 || b[s + 3] !== 58) return 0
    const d = b[s + 4]!
    const d2 = b[s + 5]!
    switch (d) {
      case 101: return len === 9 && d2 === 110 && b[s + 6] === 116 ? ENTRY : len === 12 && d2 === 110 ? KIND0 + 7 : 0 // entry, enhances
      case 112: return len === 12 && d2 === 114 && b[s + 6] === 111 ? KIND0 + 0 : 0 // provides
      case 114: return len === 12 && b[s + 6] === 113 ? KIND0 + 1 : len === 14 && b[s + 6] === 99 ? KIND0 + 4 : 0 // requires, recommends
      case 99: return len === 13 && d2 === 111 && b[s + 6] === 110 ? KIND0 + 2 : 0 // conflicts
      case 111: return len === 13 && d2 === 98 ? KIND0 + 3 : 0 // obsoletes
      case 115: return len === 12 && d2 === 117 && b[s + 6] === 103 ? KIND0 + 5 : len === 15 && d2 === 117 && b[s + 6] === 112 ? KIND0 + 6 : 0 // suggests, supplements
      default: return 0
    }
  }
  switch (len) {
    case 4: return c === 110 && b[s + 1] === 97 ? NAME : c === 97 && b[s + 1] === 114 ? ARCH : c === 102 && b[s + 1] === 105 ? FILE : 0 // name, arch, file
    case 7: return c === 112 && b[s + 1] === 97 && b[s + 2] === 99 ? PACKAGE : c === 118 && b[s + 1] === 101 ? VERSION : 0 // package, version
    case 8: return c === 99 && b[s + 1] === 104 && b[s + 2] === 101 ? CHECKSUM : c === 109 && b[s + 1] === 101 && b[s + 2] === 116 ? METADATA : 0 // checksum, metadata
    default: return 0
  }
}

const decodeEntities = (s: string): string =>
  s.replace(/&(lt|gt|amp|quot|apos|#x[0-9a-fA-F]+|#[0-9]+);/g, (_, e: string) =>
    e === "lt" ? "<" : e === "gt" ? ">" : e === "amp" ? "&" : e === "quot" ? '"' : e === "apos" ? "'" : String.fromCodePoint(e[1] === "x" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)),
  )

export interface PrimaryOptions {
  /** Skip packages of these arches (default: src, nosrc). */
  readonly skipArches?: ReadonlySet<string>
  /** Called with each new solvable id (e.g. to apply excludes). */
  readonly onPackage?: (s: number) => void
  /** Collects each package's pkgid (its checksum), e.g. to match filelists.xml to it. */
  readonly pkgids?: Map<string, number>
}

/**
 * Adds the packages of a primary.xml document to `repo`. Returns the number added. Throws
 * PrimaryXmlError on a document that is not primary.xml.
 */
export const addPrimaryXml = (pool: Pool, repo: number, b: Uint8Array, { skipArches = new Set(["src", "nosrc"]), onPackage, pkgids }: PrimaryOptions = {}): number => {
  const strings = pool.strings
  const n = b.length
  let added = 0
  let inPackage = false
  let name = 0
  let arch = 0
  let evr = 0
  let pkgid = ""
  let kind = -1
  const lists: number[][] = Array.from({ length: NKINDS }, () => [])
  const files: number[] = []
  const scratch = new Uint8Array(4096)
  let sawMetadata = false
  // attribute value ranges of the current tag, by attribute: name, flags, epoch, ver, rel
  let aNameS = 0, aNameE = -1, aFlagsS = 0, aFlagsE = -1, aEpochS = 0, aEpochE = -1, aVerS = 0, aVerE = -1, aRelS = 0, aRelE = -1

  const hasAmp = (s: number, e: number): boolean => {
    for (let k = s; k < e; k++) if (b[k] === AMP) return true
    return false
  }
  const text = (s: number, e: number): string => decodeEntities(decoder.decode(b.subarray(s, e)))
  const intern = (s: number, e: number): number => (hasAmp(s, e) ? strings.intern(text(s, e)) : strings.internBytes(b, s, e))
  /** [epoch:]ver[-rel] from the current attributes; no string unless entities need decoding. */
  const evrOf = (): number => {
    const es = aEpochS, ee = aEpochE, vs = aVerS, ve = aVerE, rs = aRelS, re = aRelE
    if (hasAmp(es, ee) || hasAmp(vs, ve) || hasAmp(rs, re) || ee - es + ve - vs + re - rs + 2 > scratch.length) {
      const e = ee > es ? text(es, ee) : ""
      const r = re > rs ? text(rs, re) : ""
      return strings.intern(`${e && e !== "0" ? `${e}:` : ""}${text(vs, ve)}${r ? `-${r}` : ""}`)
    }
    const epoch = ee > es && !(ee - es === 1 && b[es] === 48)
    // the common case needs no copy: a bare version interns from the document itself
    if (!epoch && re <= rs) return strings.internBytes(b, vs, ve)
    let len = 0
    if (epoch) {
      for (let k = es; k < ee; k++) scratch[len++] = b[k]!
      scratch[len++] = 58 // :
    }
    for (let k = vs; k < ve; k++) scratch[len++] = b[k]!
    if (re > rs) {
      scratch[len++] = 45 // -
      for (let k = rs; k < re; k++) scratch[len++] = b[k]!
    }
    return strings.internBytes(scratch, 0, len)
  }
  /** rpm-md's EQ/LT/GT/LE/GE as sense bits. */
  const flagsOf = (): number => {
    if (aFlagsE - aFlagsS !== 2) return 0
    const c0 = b[aFlagsS]!
    const c1 = b[aFlagsS + 1]!
    if (c0 === 69 && c1 === 81) return SENSE_EQUAL // EQ
    if (c0 === 76) return c1 === 84 ? SENSE_LESS : c1 === 69 ? SENSE_LESS | SENSE_EQUAL : 0 // LT, LE
    if (c0 === 71) return c1 === 84 ? SENSE_GREATER : c1 === 69 ? SENSE_GREATER | SENSE_EQUAL : 0 // GT, GE
    return 0
  }
  /** Reads the attributes from p to the tag's end into the slots; returns the end ('>' or '/'). */
  const readAttrs = (p: number): number => {
    aNameE = aFlagsE = aEpochE = aVerE = aRelE = -1
    for (;;) {
      let c = b[p]!
      while (c === 32 || c === 9 || c === 10 || c === 13) c = b[++p]!
      if (c === GT || c === SLASH || p >= n) return p
      const as = p
      while (p < n && b[p] !== 61 /* = */) p++
      const alen = p - as
      const q = b[++p]! // the quote
      const vs = p + 1
      // values are short: a plain loop beats a native indexOf call per attribute
      let ve = vs
      while (ve < n && b[ve] !== q) ve++
      if (ve >= n) throw new PrimaryXmlError("primary.xml: unterminated attribute")
      const a0 = b[as]!
      if (alen === 4 && a0 === 110) { aNameS = vs; aNameE = ve } // name
      else if (alen === 5 && a0 === 102) { aFlagsS = vs; aFlagsE = ve } // flags
      else if (alen === 5 && a0 === 101) { aEpochS = vs; aEpochE = ve } // epoch
      else if (alen === 3 && a0 === 118) { aVerS = vs; aVerE = ve } // ver
      else if (alen === 3 && a0 === 114) { aRelS = vs; aRelE = ve } // rel
      p = ve + 1
    }
  }

  /** The next '<' from i: a few bytes by hand (usually just indentation), then indexOf. */
  const nextTag = (i: number): number => {
    const stop = i + 24 < n ? i + 24 : n
    for (; i < stop; i++) if (b[i] === LT) return i
    return i < n ? b.indexOf(LT, i) : -1
  }

  let i = 0
  while (i < n) {
    const lt = nextTag(i)
    if (lt < 0) break
    let p = lt + 1
    const closing = b[p] === SLASH
    if (closing) p++
    const ns = p
    for (;;) {
      const c = b[p]!
      if (c === GT || c === SLASH || c === 32 || c === 9 || c === 10 || c === 13 || p >= n) break
      p++
    }
    const id = elementOf(b, ns, p)
    if (closing) {
      i = p + 1
      if (id === PACKAGE && inPackage) {
        inPackage = false
        if (name && !skipArches.has(strings.str(arch))) {
          const s = pool.addSolvable(repo, name, evr, arch, lists, files.length ? files : undefined)
          if (pkgids && pkgid) pkgids.set(pkgid, s)
          added++
          onPackage?.(s)
        }
      } else if (id >= KIND0) kind = -1
      continue
    }
    if (id === VERSION || id === ENTRY) p = readAttrs(p)
    const gt = b[p] === GT ? p : b[p] === SLASH && b[p + 1] === GT ? p + 1 : b.indexOf(GT, p)
    if (gt < 0) throw new PrimaryXmlError("primary.xml: truncated tag")
    const selfClosing = b[gt - 1] === SLASH
    i = gt + 1
    switch (id) {
      case 0:
        break
      case METADATA:
        sawMetadata = true
        break
      case PACKAGE:
        inPackage = true
        name = arch = evr = 0
        pkgid = ""
        kind = -1
        for (let k = 0; k < NKINDS; k++) lists[k]!.length = 0
        files.length = 0
        break
      case NAME:
      case ARCH:
      case FILE:
      case CHECKSUM: {
        if (!inPackage || selfClosing) break
        const end = nextTag(i)
        if (end < 0) throw new PrimaryXmlError("primary.xml: truncated text")
        // the package's own <name> and <arch>, not one inside another element
        if (id === NAME && kind < 0 && !name) name = intern(i, end)
        else if (id === ARCH && kind < 0 && !arch) arch = intern(i, end)
        else if (id === FILE) files.push(intern(i, end))
        else if (id === CHECKSUM && pkgids && kind < 0) pkgid = decoder.decode(b.subarray(i, end))
        i = end
        break
      }
      case VERSION:
        if (inPackage && kind < 0 && !evr && aVerE >= 0) evr = evrOf()
        break
      case ENTRY: {
        if (!inPackage || kind < 0 || aNameE < 0) break
        const s0 = aNameS
        // rpmlib() requirements are rpm's own features, not packages
        if (kind === 1 && aNameE - s0 > 7 && b[s0] === 114 && b[s0 + 1] === 112 && b[s0 + 2] === 109 && b[s0 + 3] === 108 && b[s0 + 6] === 40) break
        if (b[s0] === 40) {
          lists[kind]!.push(pool.dep(text(s0, aNameE), 0, ""))
          break
        }
        const nameId = intern(s0, aNameE)
        const flags = aFlagsE >= 0 ? flagsOf() : 0
        if (flags && aVerE >= 0) lists[kind]!.push(pool.deps.rel(nameId, flags, evrOf()))
        else lists[kind]!.push(nameId)
        break
      }
      default:
        if (id >= KIND0 && inPackage && !selfClosing) kind = id - KIND0
    }
  }
  if (!sawMetadata) throw new PrimaryXmlError("primary.xml: no <metadata> root element")
  return added
}
