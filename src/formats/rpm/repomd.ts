/**
 * rpm-md XML, parsed with saxes as a stream (primary.xml of a large distribution is 100+ MB
 * uncompressed; it is never held whole): repomd.xml (the index of metadata files with their
 * checksums), primary.xml (packages, dependencies, some files) and filelists.xml (all files).
 * Pure: chunks of text in, records out through callbacks. primary.xml, the big one, goes through
 * its own scanner (primary-scan.ts); repomd.xml and filelists.xml through saxes.
 */
import { SaxesParser } from "saxes"
import { corrupt } from "./error.js"
import { primaryScanner } from "./primary-scan.js"

/** A streaming XML consumer: `write` decoded text, then `end`. Malformed XML throws RpmFormatError. */
export interface XmlSink {
  write(text: string): void
  end(): void
}

type Attrs = Record<string, string>

const sink = (what: string, handlers: { open: (name: string, a: Attrs) => void; close: (name: string) => void; text?: (t: string) => void }): XmlSink => {
  const p = new SaxesParser({ xmlns: false, position: false })
  let failure: Error | undefined
  p.on("error", (e) => {
    failure ??= e
  })
  p.on("opentag", (n) => handlers.open(n.name, n.attributes as Attrs))
  p.on("closetag", (n) => handlers.close(n.name))
  if (handlers.text) p.on("text", handlers.text)
  const guard = (f: () => void) => {
    try {
      f()
    } catch (e) {
      failure ??= e as Error
    }
    if (failure) throw (failure as { _tag?: string })._tag ? failure : corrupt(what, `malformed XML: ${failure.message}`)
  }
  return { write: (t) => guard(() => p.write(t)), end: () => guard(() => p.close()) }
}

export interface RepomdData {
  readonly type: string
  readonly location: string
  readonly checksum: { readonly type: string; readonly value: string }
  readonly openChecksum: { readonly type: string; readonly value: string } | undefined
  readonly size: number | undefined
  readonly openSize: number | undefined
  readonly timestamp: number | undefined
}

export interface Repomd {
  readonly revision: string | undefined
  readonly data: ReadonlyMap<string, RepomdData>
}

export const parseRepomd = (xml: string): Repomd => {
  const data = new Map<string, RepomdData>()
  let revision: string | undefined
  let cur: { type: string; location?: string; checksum?: { type: string; value: string }; openChecksum?: { type: string; value: string }; size?: number; openSize?: number; timestamp?: number } | undefined
  let field = ""
  let attrs: Attrs = {}
  let text = ""
  let root = ""
  const s = sink("repomd.xml", {
    open: (name, a) => {
      if (!root) root = name
      if (name === "data") cur = { type: a["type"] ?? "" }
      else if (name === "location" && cur) cur.location = a["href"]
      field = name
      attrs = a
      text = ""
    },
    text: (t) => (text += t),
    close: (name) => {
      const v = text.trim()
      if (name === "revision" && !cur) revision = v
      if (cur && name === field) {
        if (name === "checksum") cur.checksum = { type: attrs["type"] ?? "", value: v }
        else if (name === "open-checksum") cur.openChecksum = { type: attrs["type"] ?? "", value: v }
        else if (name === "size") cur.size = Number(v)
        else if (name === "open-size") cur.openSize = Number(v)
        else if (name === "timestamp") cur.timestamp = Number(v)
      }
      if (name === "data" && cur) {
        if (!cur.location || !cur.checksum) throw corrupt("repomd.xml", `data "${cur.type}" has no location or checksum`)
        data.set(cur.type, { type: cur.type, location: cur.location, checksum: cur.checksum, openChecksum: cur.openChecksum, size: cur.size, openSize: cur.openSize, timestamp: cur.timestamp })
        cur = undefined
      }
      text = ""
    },
  })
  s.write(xml)
  s.end()
  if (root !== "repomd") throw corrupt("repomd.xml", `root element is <${root || "nothing"}>, not <repomd>`)
  return { revision, data }
}

/** One dependency as rpm-md writes it: flags EQ/LT/GT/LE/GE, split EVR, `pre` for prerequisites. */
export interface MdDep {
  readonly name: string
  readonly flags?: string
  readonly epoch?: string
  readonly ver?: string
  readonly rel?: string
  readonly pre?: boolean
}

export interface MdPackage {
  readonly pkgid: string
  readonly name: string
  readonly arch: string
  readonly epoch: string
  readonly version: string
  readonly release: string
  readonly summary: string
  readonly location: string
  readonly sizePackage: number
  readonly sizeInstalled: number
  readonly buildTime: number
  readonly license: string
  readonly sourcerpm: string
  readonly provides: MdDep[]
  readonly requires: MdDep[]
  readonly conflicts: MdDep[]
  readonly obsoletes: MdDep[]
  readonly recommends: MdDep[]
  readonly suggests: MdDep[]
  readonly supplements: MdDep[]
  readonly enhances: MdDep[]
  /** The files primary.xml lists (binaries and /etc); filelists.xml has them all. */
  readonly files: string[]
}

/**
 * A streaming primary.xml parser calling `onPackage` for each `<package>` (primary-scan.ts: a
 * scanner for primary.xml's vocabulary; the generic saxes path was 5x slower on a large repo).
 */
export const primaryParser = primaryScanner

/** A streaming filelists.xml parser: `onPackage(pkgid, files)` per package. */
export const filelistsParser = (onPackage: (pkgid: string, files: string[]) => void): XmlSink => {
  let pkgid: string | undefined
  let files: string[] = []
  let text = ""
  let grab = false
  return sink("filelists.xml", {
    open: (name, a) => {
      if (name === "package") {
        pkgid = a["pkgid"]
        files = []
      } else if (name === "file") {
        grab = true
        text = ""
      }
    },
    text: (t) => {
      if (grab) text += t
    },
    close: (name) => {
      if (name === "file") {
        grab = false
        files.push(text)
      } else if (name === "package" && pkgid) onPackage(pkgid, files)
    },
  })
}
