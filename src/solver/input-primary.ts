/**
 * Pool input straight from primary.xml (or filelists.xml) bytes — the cold path of a large
 * repository. A hand-written scanner over the UTF-8 bytes reads only what the solver needs
 * (name, arch, version, dependency entries, files) and interns names and versions from the bytes
 * (strings.ts internBytes), so a 63k-package repository is read without building a string or an
 * object per field. Everything else (summaries, descriptions, checksums) is skipped unread.
 *
 * Safe to scan by '<': in XML text and attribute values '<' is always escaped, and createrepo
 * writes no CDATA or comments inside packages. Entities (&lt; &amp; &#NN; …) are decoded where
 * they occur — typically in rich dependencies such as "(foo &gt;= 1 or bar)".
 */
import { SENSE_EQUAL, SENSE_GREATER, SENSE_LESS } from "../formats/rpm/evr.js"
import { NKINDS } from "./package.js"
import type { Pool } from "./pool.js"

export class PrimaryXmlError extends Error {
  override readonly name = "PrimaryXmlError"
}

const LT = 60 // <
const GT = 62 // >
const SLASH = 47
const QUOT = 34
const APOS = 39
const AMP = 38
const EQ = 61

const decoder = new TextDecoder()
const encoder = new TextEncoder()

const TAGS: Record<string, number> = {
  package: 1, name: 2, arch: 3, version: 4, "rpm:entry": 5, file: 6, checksum: 7,
  "rpm:provides": 10, "rpm:requires": 11, "rpm:conflicts": 12, "rpm:obsoletes": 13,
  "rpm:recommends": 14, "rpm:suggests": 15, "rpm:supplements": 16, "rpm:enhances": 17,
}

const decodeEntities = (s: string): string =>
  s.replace(/&(lt|gt|amp|quot|apos|#x[0-9a-fA-F]+|#[0-9]+);/g, (_, e: string) =>
    e === "lt" ? "<" : e === "gt" ? ">" : e === "amp" ? "&" : e === "quot" ? '"' : e === "apos" ? "'" : String.fromCodePoint(e[1] === "x" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)),
  )

/** Tag names by their bytes, without making strings: a small trie keyed on the first bytes. */
const tagIds = new Map<number, Array<[Uint8Array, number]>>()
for (const [name, id] of Object.entries(TAGS)) {
  const b = encoder.encode(name)
  const l = tagIds.get(b[0]!) ?? []
  l.push([b, id])
  tagIds.set(b[0]!, l)
}

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
  let i = 0
  let added = 0
  // per package
  let inPackage = false
  let name = 0
  let arch = 0
  let evr = 0
  let pkgid = ""
  let kind = -1
  const lists: number[][] = Array.from({ length: NKINDS }, () => [])
  const files: number[] = []
  // attribute scratch: [nameStart, nameEnd, valueStart, valueEnd] per attribute, reused
  const attrs: number[] = []
  const scratch = new Uint8Array(4096)
  let sawMetadata = false

  const find = (c: number, from: number): number => b.indexOf(c, from)
  const tagId = (start: number, end: number): number => {
    const cands = tagIds.get(b[start]!)
    if (!cands) return 0
    outer: for (const [t, id] of cands) {
      if (t.length !== end - start) continue
      for (let k = 1; k < t.length; k++) if (t[k] !== b[start + k]) continue outer
      return id
    }
    return 0
  }
  const hasAmp = (s: number, e: number): boolean => {
    for (let k = s; k < e; k++) if (b[k] === AMP) return true
    return false
  }
  const text = (s: number, e: number): string => decodeEntities(decoder.decode(b.subarray(s, e)))
  const intern = (s: number, e: number): number => (hasAmp(s, e) ? strings.intern(text(s, e)) : strings.internBytes(b, s, e))
  /** Value range of attribute `a` (its bytes), or -1. */
  const attr = (a: string): number => {
    for (let k = 0; k < attrs.length; k += 4) {
      const s = attrs[k]!
      const e = attrs[k + 1]!
      if (e - s !== a.length) continue
      let ok = true
      for (let m = 0; m < a.length; m++)
        if (b[s + m] !== a.charCodeAt(m)) {
          ok = false
          break
        }
      if (ok) return k
    }
    return -1
  }
  /** [epoch:]ver[-rel] interned from attribute ranges, without a string when there are no entities. */
  const evrOf = (ke: number, kv: number, kr: number): number => {
    const es = ke >= 0 ? attrs[ke + 2]! : 0
    const ee = ke >= 0 ? attrs[ke + 3]! : 0
    const vs = attrs[kv + 2]!
    const ve = attrs[kv + 3]!
    const rs = kr >= 0 ? attrs[kr + 2]! : 0
    const re = kr >= 0 ? attrs[kr + 3]! : 0
    if (hasAmp(es, ee) || hasAmp(vs, ve) || hasAmp(rs, re) || ee - es + ve - vs + re - rs + 2 > scratch.length) {
      const e = ee > es ? text(es, ee) : ""
      const r = re > rs ? text(rs, re) : ""
      return strings.intern(`${e && e !== "0" ? `${e}:` : ""}${text(vs, ve)}${r ? `-${r}` : ""}`)
    }
    let len = 0
    if (ee > es && !(ee - es === 1 && b[es] === 48)) {
      for (let k = es; k < ee; k++) scratch[len++] = b[k]!
      scratch[len++] = 58 // :
    }
    // the common case needs no copy: a bare version interns from the document itself
    if (len === 0 && re <= rs) return strings.internBytes(b, vs, ve)
    for (let k = vs; k < ve; k++) scratch[len++] = b[k]!
    if (re > rs) {
      scratch[len++] = 45 // -
      for (let k = rs; k < re; k++) scratch[len++] = b[k]!
    }
    return strings.internBytes(scratch, 0, len)
  }
  /** rpm-md's EQ/LT/GT/LE/GE as sense bits, from the bytes. */
  const flagsOf = (k: number): number => {
    const s0 = attrs[k + 2]!
    if (attrs[k + 3]! - s0 !== 2) return 0
    const c0 = b[s0]!
    const c1 = b[s0 + 1]!
    if (c0 === 69 && c1 === 81) return SENSE_EQUAL // EQ
    if (c0 === 76) return c1 === 84 ? SENSE_LESS : c1 === 69 ? SENSE_LESS | SENSE_EQUAL : 0 // LT, LE
    if (c0 === 71) return c1 === 84 ? SENSE_GREATER : c1 === 69 ? SENSE_GREATER | SENSE_EQUAL : 0 // GT, GE
    return 0
  }

  while (i < n) {
    const lt = find(LT, i)
    if (lt < 0) break
    let p = lt + 1
    const closing = b[p] === SLASH
    if (closing) p++
    const ns = p
    while (p < n) {
      const c = b[p]!
      if (c === GT || c === SLASH || c === 32 || c === 9 || c === 10 || c === 13) break
      p++
    }
    const id = tagId(ns, p)
    if (!sawMetadata && !closing && p - ns === 8 && decoder.decode(b.subarray(ns, p)) === "metadata") sawMetadata = true
    // attributes (only parsed for the tags that have wanted ones)
    attrs.length = 0
    if (!closing && (id === 4 || id === 5)) {
      for (;;) {
        while (p < n && (b[p] === 32 || b[p] === 9 || b[p] === 10 || b[p] === 13)) p++
        if (p >= n || b[p] === GT || b[p] === SLASH) break
        const as = p
        while (p < n && b[p] !== EQ && b[p] !== 32) p++
        const ae = p
        while (p < n && b[p] !== QUOT && b[p] !== APOS) p++
        const q = b[p]!
        const vs = ++p
        const ve = find(q, vs)
        if (ve < 0) throw new PrimaryXmlError("primary.xml: unterminated attribute")
        attrs.push(as, ae, vs, ve)
        p = ve + 1
      }
    }
    let gt = find(GT, p)
    if (gt < 0) throw new PrimaryXmlError("primary.xml: truncated tag")
    const selfClosing = b[gt - 1] === SLASH
    i = gt + 1
    if (closing) {
      if (id === 1 && inPackage) {
        inPackage = false
        if (name && !skipArches.has(strings.str(arch))) {
          const s = pool.addSolvable(repo, name, evr, arch, lists, files.length ? files : undefined)
          if (pkgids && pkgid) pkgids.set(pkgid, s)
          added++
          onPackage?.(s)
        }
      } else if (id >= 10) kind = -1
      continue
    }
    switch (id) {
      case 1:
        inPackage = true
        name = arch = evr = 0
        pkgid = ""
        kind = -1
        for (const l of lists) l.length = 0
        files.length = 0
        break
      case 2:
      case 3:
      case 6:
      case 7: {
        if (!inPackage || selfClosing) break
        const end = find(LT, i)
        if (end < 0) throw new PrimaryXmlError("primary.xml: truncated text")
        // <name> and <arch> of the package itself, not of e.g. a nested element
        if (id === 2 && kind < 0 && !name) name = intern(i, end)
        else if (id === 3 && kind < 0 && !arch) arch = intern(i, end)
        else if (id === 6) files.push(intern(i, end))
        else if (id === 7 && pkgids && kind < 0) pkgid = decoder.decode(b.subarray(i, end))
        i = end
        break
      }
      case 4:
        if (inPackage && kind < 0 && !evr) {
          const kv = attr("ver")
          evr = kv < 0 ? 0 : evrOf(attr("epoch"), kv, attr("rel"))
        }
        break
      case 5: {
        if (!inPackage || kind < 0) break
        const kn = attr("name")
        if (kn < 0) break
        const ns2 = attrs[kn + 2]!
        const ne = attrs[kn + 3]!
        // rpmlib() requirements are rpm's own features, not packages
        if (kind === 1 && ne - ns2 > 7 && b[ns2] === 114 && b[ns2 + 3] === 108 && b[ns2 + 6] === 40 && decoder.decode(b.subarray(ns2, ns2 + 7)) === "rpmlib(") break
        if (b[ns2] === 40) {
          lists[kind]!.push(pool.dep(text(ns2, ne), 0, ""))
          break
        }
        const nameId = intern(ns2, ne)
        const kf = attr("flags")
        const kv = attr("ver")
        const flags = kf >= 0 ? flagsOf(kf) : 0
        if (flags && kv >= 0) lists[kind]!.push(pool.deps.rel(nameId, flags, evrOf(attr("epoch"), kv, attr("rel"))))
        else lists[kind]!.push(nameId)
        break
      }
      default:
        if (id >= 10 && inPackage && !selfClosing) kind = id - 10
    }
    void gt
    gt = 0
  }
  if (!sawMetadata) throw new PrimaryXmlError("primary.xml: no <metadata> root element")
  return added
}
