/**
 * Writing a solver scenario (libsolv-case.ts CaseFile) for the reference tools, and reading
 * their answers back: a libsolv testcase for `testsolv -r`, an rpm-md repository for
 * `dnf --installroot … --assumeno`, and dnf's transaction table.
 */
import { execFileSync, spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { gzipSync } from "node:zlib"
import type { CaseFile, CasePackage, CaseRun } from "./libsolv-case.js"

// ---- testsolv --------------------------------------------------------------------------------

const TESTTAGS_OP: Record<string, string> = { or: "|", and: "&", if: "<IF>", else: "<ELSE>", unless: "<UNLESS>", with: "<WITH>", without: "<WITHOUT>" }

/** rpm's rich syntax → libsolv testcase syntax: (a or (b if c)) → (a | (b <IF> c)). */
export const testtagsDep = (d: string): string =>
  d.startsWith("(") ? d.replace(/\b(or|and|if|else|unless|with|without)\b/g, (w) => TESTTAGS_OP[w]!) : d

const tags: Array<[keyof CasePackage, string]> = [
  ["provides", "Prv"], ["requires", "Req"], ["conflicts", "Con"], ["obsoletes", "Obs"], ["recommends", "Rec"], ["suggests", "Sug"], ["supplements", "Sup"], ["enhances", "Enh"],
]

export const writeTestcase = (file: CaseFile, run: CaseRun): string => {
  const out: string[] = []
  for (const r of file.repos) {
    if (!r.packages.length) {
      out.push(`repo ${r.name} ${r.priority} empty`)
      continue
    }
    out.push(`repo ${r.name} ${r.priority} testtags <inline>`)
    for (const p of r.packages) {
      out.push(`#>=Pkg: ${p.name} ${p.epoch && p.epoch !== "0" ? `${p.epoch}:` : ""}${p.version} ${p.release} ${p.arch}`)
      for (const [k, tag] of tags) for (const d of (p[k] as string[] | undefined) ?? []) out.push(`#>=${tag}: ${testtagsDep(d)}`)
      if (p.files?.length) {
        out.push("#>+Fls:")
        for (const f of p.files) out.push(`#>${f}`)
        out.push("#>-Fls:")
      }
    }
  }
  out.push(`system ${file.arch || "unset"} rpm ${file.installed ?? "system"}`)
  if (file.poolflags.length) out.push(`poolflags ${file.poolflags.join(" ")}`)
  if (run.solverflags.length) out.push(`solverflags ${run.solverflags.join(" ")}`)
  for (const j of run.jobs) out.push(`job ${j}`)
  out.push("result transaction,problems <inline>", "")
  return out.join("\n")
}

/** testsolv's result lines (transaction and "problem … info …"), normalised like play(). */
export const runTestsolv = (dir: string, file: CaseFile, run: CaseRun): string[] => {
  const path = join(dir, "case.t")
  writeFileSync(path, writeTestcase(file, run))
  const out = execFileSync("testsolv", ["-r", path], { encoding: "utf8" })
  return out
    .split("\n")
    .filter((l) => l && !/^problem \S+ solution/.test(l))
    .map((l) => l.replace(/^problem \S+ info /, "problem info "))
    .sort()
}

// ---- rpm-md + dnf ----------------------------------------------------------------------------

const xml = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")
const FLAGS: Record<string, string> = { "<": "LT", "<=": "LE", "=": "EQ", ">=": "GE", ">": "GT" }

const entry = (d: string): string => {
  const m = /^(\S+)\s*(<=|>=|=|<|>)\s*(\S+)$/.exec(d)
  if (!m || d.startsWith("(")) return `<rpm:entry name="${xml(d)}"/>`
  const evr = m[3]!
  const c = evr.indexOf(":")
  const epoch = c > 0 ? evr.slice(0, c) : "0"
  const rest = c > 0 ? evr.slice(c + 1) : evr
  const dash = rest.lastIndexOf("-")
  const ver = dash > 0 ? rest.slice(0, dash) : rest
  return `<rpm:entry name="${xml(m[1]!)}" flags="${FLAGS[m[2]!]}" epoch="${epoch}" ver="${xml(ver)}"${dash > 0 ? ` rel="${xml(rest.slice(dash + 1))}"` : ""}/>`
}

/** Writes `packages` as an rpm-md repository (primary.xml.gz + repomd.xml) in `dir`. */
export const writeRpmMd = (dir: string, packages: ReadonlyArray<CasePackage>): void => {
  const parts = [`<?xml version="1.0" encoding="UTF-8"?>\n<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="${packages.length}">\n`]
  for (const p of packages) {
    const sum = createHash("sha256").update(`${p.name}-${p.epoch ?? 0}:${p.version}-${p.release}.${p.arch}`).digest("hex")
    const block = (tag: string, list: string[] | undefined): string => (list?.length ? `<rpm:${tag}>${list.map(entry).join("")}</rpm:${tag}>` : "")
    parts.push(
      `<package type="rpm"><name>${xml(p.name)}</name><arch>${p.arch}</arch><version epoch="${p.epoch ?? "0"}" ver="${xml(p.version)}" rel="${xml(p.release)}"/>` +
        `<checksum type="sha256" pkgid="YES">${sum}</checksum><summary>${xml(p.name)}</summary><description>test package</description>` +
        `<time file="1700000000" build="1700000000"/><size package="1000" installed="1000" archive="1000"/>` +
        `<location href="${xml(`${p.name}-${p.version}-${p.release}.${p.arch}.rpm`)}"/><format><rpm:license>MIT</rpm:license>` +
        block("provides", p.provides) + block("requires", p.requires) + block("conflicts", p.conflicts) + block("obsoletes", p.obsoletes) +
        block("recommends", p.recommends) + block("suggests", p.suggests) + block("supplements", p.supplements) + block("enhances", p.enhances) +
        (p.files ?? []).map((f) => `<file>${xml(f)}</file>`).join("") +
        `</format></package>\n`,
    )
  }
  parts.push("</metadata>\n")
  const body = Buffer.from(parts.join(""))
  const gz = gzipSync(body)
  const sum = createHash("sha256").update(gz).digest("hex")
  mkdirSync(join(dir, "repodata"), { recursive: true })
  writeFileSync(join(dir, "repodata", `${sum}-primary.xml.gz`), gz)
  writeFileSync(
    join(dir, "repodata", "repomd.xml"),
    `<?xml version="1.0" encoding="UTF-8"?>\n<repomd xmlns="http://linux.duke.edu/metadata/repo"><revision>1</revision><data type="primary"><checksum type="sha256">${sum}</checksum>` +
      `<open-checksum type="sha256">${createHash("sha256").update(body).digest("hex")}</open-checksum><location href="repodata/${sum}-primary.xml.gz"/><timestamp>1700000000</timestamp><size>${gz.length}</size><open-size>${body.length}</open-size></data></repomd>\n`,
  )
}

export interface DnfAnswer {
  /** NEVRAs dnf would install (including upgrades' new packages), sorted. */
  readonly install: string[]
  /** NEVRAs dnf would remove (including upgraded/obsoleted old packages), sorted. */
  readonly erase: string[]
  /** "Problem: …" summaries and their "- …" lines, when dnf finds no solution. */
  readonly problems: string[]
}

export const haveDnf = (): boolean => spawnSync("sh", ["-c", "command -v dnf"], { stdio: "ignore" }).status === 0

/** `dnf <args> --assumeno` in a throw-away installroot with the given repositories only. */
export const runDnf = ({ root, repos, args, weak = true }: { root: string; repos: ReadonlyArray<string>; args: ReadonlyArray<string>; weak?: boolean }): DnfAnswer => {
  const r = spawnSync(
    "dnf",
    [
      `--installroot=${root}`, "--releasever=40", "--forcearch=x86_64", "--setopt=reposdir=/dev/null", `--setopt=cachedir=${join(root, ".dnfcache")}`,
      // best=False: any candidate that works, like libsolv's default (dnf's own default
      // best=True fails a job whose newest candidate cannot be installed)
      `--setopt=install_weak_deps=${weak ? "True" : "False"}`, "--setopt=best=False", "--nogpgcheck", "--setopt=tsflags=justdb", "--noplugins",
      ...repos.flatMap((d, i) => [`--repofrompath=r${i},file://${d}`]), ...repos.map((_, i) => `--repo=r${i}`),
      "--assumeno", ...args,
    ],
    { encoding: "utf8" },
  )
  const text = `${r.stdout}\n${r.stderr}`
  const install: string[] = []
  const erase: string[] = []
  const problems: string[] = []
  let section = ""
  const lines = text.split("\n")
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!
    if (/^\S.*:$/.test(line) && !line.startsWith("Error")) {
      section = line.slice(0, -1)
      continue
    }
    if (/^ ?Problem( \d+)?: /.test(line)) problems.push(line.trim().replace(/^Problem( \d+)?: /, ""))
    else if (/^\s+- /.test(line) && problems.length) problems.push(line.trim())
    if (!section || !line.startsWith(" ")) continue
    // a long name sits alone on its line; the rest of the row follows
    if (line.trim().split(/\s+/).length === 1 && lines[i + 1]?.startsWith(" ")) line = `${line} ${lines[++i]}`
    const w = line.trim().split(/\s+/)
    if (w[0] === "replacing") {
      const m = /^(.*)\.([^.]+)$/.exec(w[1]!)!
      erase.push(`${m[1]}-${w[2]}.${m[2]}`)
      continue
    }
    if (w.length < 4) continue
    const nevra = `${w[0]}-${w[2]}.${w[1]}`
    if (/^(Installing|Upgrading|Downgrading|Reinstalling)/.test(section)) install.push(nevra)
    else if (/^Removing/.test(section)) erase.push(nevra)
  }
  // with best=False dnf reports the problems of candidates it skipped and still has an answer:
  // only an "Error:" means there is none
  return { install: install.sort(), erase: erase.sort(), problems: /^Error:/m.test(text) ? problems : [] }
}

export const haveTool = (t: string): boolean => spawnSync("sh", ["-c", `command -v ${t}`], { stdio: "ignore" }).status === 0
