/**
 * Translates libsolv's published test cases (test/testcases/**\/*.t in openSUSE/libsolv,
 * BSD-licensed) into strata's own JSON case format (test/solver/libsolv-cases/*.json): package
 * data, jobs and expected results only. Run once, by hand, against a checkout:
 *
 *   node dist/test/solver/tools/translate-libsolv.js /path/to/libsolv test/solver/libsolv-cases
 *
 * Cases whose repositories live in separate files, or that are not rpm cases, are left out;
 * everything else is translated and the test decides which runs use features strata supports.
 */
import { execFileSync } from "node:child_process"
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import type { CaseFile, CasePackage, CaseRun } from "../libsolv-case.js"

const [src, out] = process.argv.slice(2)
if (!src || !out) throw new Error("usage: translate-libsolv.js LIBSOLV_CHECKOUT OUT_DIR")

const git = (...args: string[]): string => execFileSync("git", ["-C", src, ...args], { encoding: "utf8", maxBuffer: 1 << 26 })

// ---- testtags dependencies → rpm's rich syntax ------------------------------------------------

type Node = { name: string } | { op: string; a: Node; b: Node }
const PREC: Record<string, number> = { "<ELSE>": 1, "<IF>": 2, "<UNLESS>": 2, "|": 3, "&": 4, "<WITH>": 5, "<WITHOUT>": 5 }
const WORD: Record<string, string> = { "<ELSE>": "else", "<IF>": "if", "<UNLESS>": "unless", "|": "or", "&": "and", "<WITH>": "with", "<WITHOUT>": "without" }

const parseDep = (text: string): Node => {
  const toks = text.match(/<[A-Z]+>|\(|\)|&|\||[^\s()&|<>=]+(?:\([^)]*\))?|[<>=]+/g) ?? []
  let i = 0
  const primary = (): Node => {
    if (toks[i] === "(") {
      i++
      const n = expr(0)
      i++ // ")"
      return n
    }
    let name = toks[i++]!
    if (/^[<>=]+$/.test(toks[i] ?? "")) {
      name = `${name} ${toks[i]} ${toks[i + 1]}`
      i += 2
    }
    return { name }
  }
  const expr = (min: number): Node => {
    let left = primary()
    while (i < toks.length && PREC[toks[i]!] !== undefined && PREC[toks[i]!]! >= min) {
      const op = toks[i++]!
      const right = expr(PREC[op]! + 1)
      left = { op, a: left, b: right }
    }
    return left
  }
  return expr(0)
}

const rpmDep = (n: Node): string => {
  if ("name" in n) return n.name
  if ((n.op === "<IF>" || n.op === "<UNLESS>") && "op" in n.b && n.b.op === "<ELSE>") return `(${rpmDep(n.a)} ${WORD[n.op]} ${rpmDep(n.b.a)} else ${rpmDep(n.b.b)})`
  return `(${rpmDep(n.a)} ${WORD[n.op]} ${rpmDep(n.b)})`
}

export const translateDep = (text: string): string => rpmDep(parseDep(text.trim()))

// ---- test cases ------------------------------------------------------------------------------

const KINDS: Record<string, keyof CasePackage> = {
  Prv: "provides", Req: "requires", Con: "conflicts", Obs: "obsoletes", Rec: "recommends", Sug: "suggests", Sup: "supplements", Enh: "enhances", Fls: "files",
}

const translate = (path: string, text: string): CaseFile | string => {
  const lines = text.split("\n")
  const file: CaseFile = { source: path, arch: "", disttype: "rpm", installed: undefined, poolflags: [], repos: [], runs: [] }
  let run: CaseRun = { solverflags: [], jobs: [], result: undefined }
  let i = 0
  const inline = (): string[] => {
    const body: string[] = []
    while (i + 1 < lines.length && lines[i + 1]!.startsWith("#>")) body.push(lines[++i]!.slice(2))
    return body
  }
  for (; i < lines.length; i++) {
    const line = lines[i]!.trim()
    if (!line || line.startsWith("#")) continue
    const w = line.split(/\s+/)
    switch (w[0]) {
      case "repo": {
        if (w[3] !== "testtags" && w[3] !== "empty") return `repository type ${w[3]}`
        if (w[3] === "testtags" && w[4] !== "<inline>") return "repository in a separate file"
        const packages: CasePackage[] = []
        let cur: CasePackage | undefined
        let block: keyof CasePackage | undefined
        for (const l of w[3] === "testtags" ? inline() : []) {
          const m = /^([=+-])(\w{3}):\s?(.*)$/.exec(l)
          if (block && !m) {
            ;(cur![block] as string[]).push(block === "files" ? l : translateDep(l))
            continue
          }
          if (!m) continue
          const [, mark, tag, rest] = m
          if (tag === "Pkg") {
            const [name, ver, rel, arch] = rest!.split(/\s+/)
            let epoch: string | undefined
            let version = ver!
            if (version.includes(":")) [epoch, version] = version.split(":") as [string, string]
            cur = { name: name!, epoch, version, release: rel ?? "", arch: arch ?? "noarch" }
            packages.push(cur)
            continue
          }
          const kind = KINDS[tag!]
          if (!kind || !cur) continue
          if (mark === "+") {
            block = kind
            ;(cur[kind] as string[] | undefined) ?? ((cur as unknown as Record<string, string[]>)[kind] = [])
          } else if (mark === "-") block = undefined
          else ((cur as unknown as Record<string, string[]>)[kind] ??= []).push(kind === "files" ? rest! : translateDep(rest!))
        }
        file.repos.push({ name: w[1]!, priority: Number(w[2]), packages })
        break
      }
      case "system":
        file.arch = w[1] === "unset" ? "" : w[1]!
        if (w[2] !== "rpm" && w[2] !== "*") return `disttype ${w[2]}`
        file.installed = w[3]
        break
      case "feature":
        break // libsolv build features (complex_deps); strata always has them
      case "poolflags":
        file.poolflags.push(...w.slice(1))
        break
      case "solverflags":
        run.solverflags.push(...w.slice(1))
        break
      case "job":
        run.jobs.push(line.slice(4))
        break
      case "result":
        run.result = { kinds: w[1]!.split(","), lines: w[2] === "<inline>" ? inline() : [] }
        break
      case "nextjob":
        file.runs.push(run)
        run = { solverflags: [], jobs: [], result: undefined }
        break
      default:
        run.other = [...(run.other ?? []), line]
    }
  }
  file.runs.push(run)
  return file
}

mkdirSync(out, { recursive: true })
const files = git("ls-tree", "-r", "--name-only", "HEAD", "test/testcases").split("\n").filter((f) => f.endsWith(".t"))
let written = 0
for (const f of files) {
  const rel = f.slice("test/testcases/".length)
  const res = translate(rel, git("show", `HEAD:${f}`))
  if (typeof res === "string") {
    console.log(`skip ${rel}: ${res}`)
    continue
  }
  writeFileSync(join(out, `${rel.replace(/\.t$/, "").replace(/\//g, "--")}.json`), JSON.stringify(res, null, 1) + "\n")
  written++
}
console.log(`${written} of ${files.length} test cases translated`)
