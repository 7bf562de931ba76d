/**
 * The saxes-based primary.xml parser strata used before primary-scan.ts, kept as the oracle the
 * scanner is compared with (rpm-primary-scan.test.ts). Not used by src/.
 */
import { SaxesParser } from "saxes"
import type { MdDep, MdPackage } from "../../src/formats/rpm/repomd.js"

const DEP_ELEMENTS: Record<string, keyof MdPackage> = {
  "rpm:provides": "provides", "rpm:requires": "requires", "rpm:conflicts": "conflicts", "rpm:obsoletes": "obsoletes",
  "rpm:recommends": "recommends", "rpm:suggests": "suggests", "rpm:supplements": "supplements", "rpm:enhances": "enhances",
}

/** Parses a whole primary.xml; throws saxes' error on malformed XML. */
export const parsePrimarySaxes = (xml: string): MdPackage[] => {
  const out: MdPackage[] = []
  let p: Record<string, unknown> | undefined
  let deps: MdDep[] | undefined
  let text = ""
  let grab = false
  const sax = new SaxesParser({ xmlns: false, position: false })
  let failure: Error | undefined
  sax.on("error", (e) => {
    failure ??= e
  })
  sax.on("opentag", (n) => {
    const name = n.name
    const a = n.attributes as Record<string, string>
    if (name === "package") {
      p = { provides: [], requires: [], conflicts: [], obsoletes: [], recommends: [], suggests: [], supplements: [], enhances: [], files: [], summary: "", license: "", sourcerpm: "" }
      return
    }
    if (!p) return
    switch (name) {
      case "rpm:entry": {
        if (!deps) return
        const d: { -readonly [K in keyof MdDep]: MdDep[K] } = { name: a["name"] ?? "" }
        if (a["flags"] !== undefined) d.flags = a["flags"]
        if (a["epoch"] !== undefined) d.epoch = a["epoch"]
        if (a["ver"] !== undefined) d.ver = a["ver"]
        if (a["rel"] !== undefined) d.rel = a["rel"]
        if (a["pre"] === "1") d.pre = true
        deps.push(d)
        return
      }
      case "version": p["epoch"] = a["epoch"] ?? "0"; p["version"] = a["ver"] ?? ""; p["release"] = a["rel"] ?? ""; return
      case "location": p["location"] = a["href"] ?? ""; return
      case "size": p["sizePackage"] = Number(a["package"] ?? 0); p["sizeInstalled"] = Number(a["installed"] ?? 0); return
      case "time": p["buildTime"] = Number(a["build"] ?? 0); return
      case "name": case "arch": case "checksum": case "summary": case "rpm:license": case "rpm:sourcerpm": case "file":
        grab = true
        text = ""
        return
    }
    const kind = DEP_ELEMENTS[name]
    if (kind) deps = p[kind] as MdDep[]
  })
  sax.on("text", (t) => {
    if (grab) text += t
  })
  sax.on("closetag", (n) => {
    const name = n.name
    if (!p) return
    if (grab) {
      grab = false
      switch (name) {
        case "name": p["name"] = text; break
        case "arch": p["arch"] = text; break
        case "checksum": p["pkgid"] = text; break
        case "summary": p["summary"] = text; break
        case "rpm:license": p["license"] = text; break
        case "rpm:sourcerpm": p["sourcerpm"] = text; break
        case "file": (p["files"] as string[]).push(text); break
      }
      return
    }
    if (DEP_ELEMENTS[name]) deps = undefined
    else if (name === "package") {
      out.push(p as unknown as MdPackage)
      p = undefined
    }
  })
  sax.write(xml)
  sax.close()
  if (failure) throw failure
  return out
}
