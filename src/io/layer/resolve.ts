/**
 * Resolving a layer: the base's packages are installed and LOCKED (the solver may neither
 * upgrade nor remove them), except the ones an override names; the requests, local packages
 * and replacements are jobs. The answer is what to install (in the solver's order) and what to
 * erase, or a LayerError that names the packages in the way.
 *
 * Inactive requests and overrides (FORMATS.md §7.3) are not errors here: a requested package
 * the base already provides, an override of a package the base does not have, or a replacement
 * by the very NEVRA the base has — they are reported, and skipped.
 */
import { compareEvr, parseEvr } from "../../formats/rpm/evr.js"
import type { Header } from "../../formats/rpm/header.js"
import { nevraOf } from "../../formats/rpm/info.js"
import type { PackageFront } from "../../formats/rpm/package.js"
import type { MdPackage } from "../../formats/rpm/repomd.js"
import { nevraOfMd } from "../rpm/query.js"
import { hostBasearch } from "../rpm/repos.js"
import { addMdRepo } from "../../solver/input-md.js"
import { packageOfHeader } from "../../solver/input-header.js"
import type { Job } from "../../solver/jobs.js"
import { Pool } from "../../solver/pool.js"
import { byName, select, type Selection } from "../../solver/selection.js"
import { solve } from "../../solver/solver.js"
import type { LayerState } from "../sysroot/origin-layers.js"
import { LayerError } from "./error.js"
import type { Sources } from "./sources.js"

/** A local package, by the sha256 the origin records. */
export interface LocalInput {
  readonly sha256: string
  readonly front: PackageFront
  /** The verified .rpm file. */
  readonly path: string
}

export type Chosen =
  | { readonly kind: "repo"; readonly nevra: string; readonly name: string; readonly repo: string; readonly pkg: MdPackage }
  | { readonly kind: "local"; readonly nevra: string; readonly name: string; readonly local: LocalInput }

export interface Resolution {
  /** New packages in install order. */
  readonly install: ReadonlyArray<Chosen>
  /** Base packages going away (removed or replaced), as NEVRAs. */
  readonly erase: ReadonlyArray<string>
  /** Base headers removed by `override remove`. */
  readonly removed: ReadonlyArray<Header>
  /** [new, old base] of each replacement. */
  readonly replaced: ReadonlyArray<readonly [Chosen, Header]>
  /** Requests and overrides that do nothing on this base, in words. */
  readonly inactive: ReadonlyArray<string>
}

export interface ResolveInput {
  readonly base: ReadonlyArray<Header>
  readonly sources: Sources
  readonly state: LayerState
  readonly locals: ReadonlyMap<string, LocalInput>
  readonly arch?: string
}

const fail = (detail: string, reason: "NotFound" | "Invalid" = "Invalid"): never => {
  throw new LayerError({ op: "resolve", reason, detail })
}

const nameOf = (h: Header): string => packageOfHeader(h).name

export const resolveLayer = ({ base, sources, state, locals, arch = hostBasearch() }: ResolveInput): Resolution => {
  const pool = new Pool({ arch })
  const sys = pool.addRepo({ name: "@System", installed: true })
  const baseIds = base.map((h) => pool.addPackage(sys, packageOfHeader(h), h))
  for (const r of sources.repos) addMdRepo(pool, { name: r.config.id, priority: r.config.priority, packages: r.index.packages })
  const localRepo = pool.addRepo({ name: "@commandline", priority: 100 })
  const localIds = new Map<string, number>()
  for (const [sha, l] of locals) localIds.set(sha, pool.addPackage(localRepo, packageOfHeader(l.front.header), l))
  pool.finalize()

  const baseByName = new Map<string, number[]>()
  baseIds.forEach((s, i) => baseByName.set(nameOf(base[i]!), [...(baseByName.get(nameOf(base[i]!)) ?? []), s]))
  const inactive: string[] = []
  const unlocked = new Set<number>()
  const jobs: Job[] = []
  const sel = (text: string, solvables: ReadonlyArray<number>): Selection => ({ text, how: "pkg", solvables })

  // override remove NAME
  for (const name of state.remove) {
    const ids = baseByName.get(name)
    if (!ids) {
      inactive.push(`override remove ${name}: not in the base`)
      continue
    }
    ids.forEach((s) => unlocked.add(s))
    jobs.push({ op: "erase", what: sel(name, ids) })
  }
  // override replace: a local RPM, or repository versions
  const replaceWith = (what: string, s: number): void => {
    const name = pool.nameOf(s)
    const ids = baseByName.get(name)
    if (!ids) return void inactive.push(`override replace ${what}: ${name} is not in the base`)
    if (ids.some((b) => pool.nevra(b) === pool.nevra(s))) return void inactive.push(`override replace ${what}: the base already has ${pool.nevra(s)}`)
    ids.forEach((b) => unlocked.add(b))
    jobs.push({ op: "install", what: sel(pool.nevra(s), [s]) })
  }
  for (const l of state.replaceLocal) {
    const s = localIds.get(l.sha256)
    if (s === undefined) fail(`override replace: local package ${l.nevra} (${l.sha256}) is not imported`, "NotFound")
    replaceWith(l.nevra, s!)
  }
  for (const r of state.replace) {
    const repo = pool.repos.find((x) => x.name === r.repo)
    if (!repo) fail(`override replace --from repo=${r.repo}: no enabled repository ${r.repo}`, "NotFound")
    for (const name of r.packages) {
      const cands = byName(pool, name).filter((s) => pool.repoOf(s).id === repo!.id)
      if (!cands.length) fail(`override replace --from repo=${r.repo}: no package ${name} in ${r.repo}`, "NotFound")
      const newest = cands.reduce((a, b) => (compareEvrText(pool.evrOf(b), pool.evrOf(a)) > 0 ? b : a))
      replaceWith(`repo=${r.repo} ${name}`, newest)
    }
  }
  // install: packages from the repositories, then local ones
  const missing: string[] = []
  for (const spec of state.requested) {
    const what = select(pool, spec)
    if (!what.solvables.length) {
      missing.push(spec)
      continue
    }
    if (what.solvables.some((s) => pool.isInstalled(s))) {
      inactive.push(`${spec}: provided by the base`)
      continue
    }
    jobs.push({ op: "install", what })
  }
  if (missing.length) fail(`no package matches ${missing.map((m) => `"${m}"`).join(", ")} in the enabled repositories (${sources.repos.map((r) => r.config.id).join(", ") || "none"})`, "NotFound")
  for (const l of state.requestedLocal) {
    const s = localIds.get(l.sha256)
    if (s === undefined) fail(`local package ${l.nevra} (${l.sha256}) is not imported`, "NotFound")
    if (baseByName.get(pool.nameOf(s!))) fail(`local package ${l.nevra}: ${pool.nameOf(s!)} is in the base; use "override replace"`)
    jobs.push({ op: "install", what: sel(l.nevra, [s!]) })
  }
  for (const s of baseIds) if (!unlocked.has(s)) jobs.push({ op: "lock", what: sel(pool.nevra(s), [s]) })

  const r = solve(pool, { jobs, allowUninstall: state.remove.length > 0, keepExplicitObsoletes: true })
  if (!r.ok) {
    const p = r.problems
    fail(`cannot resolve the layered packages: ${p.map((x) => [x.summary, ...x.rules.slice(1)].join("; ")).join(" | ")}`)
  }
  const steps = r.transaction.steps
  const chosen = (s: number): Chosen => {
    const d = pool.data[s]
    const repo = pool.repoOf(s).name
    if (repo === "@commandline") return { kind: "local", nevra: pool.nevra(s), name: pool.nameOf(s), local: d as LocalInput }
    return { kind: "repo", nevra: nevraOfMd(d as MdPackage), name: pool.nameOf(s), repo, pkg: d as MdPackage }
  }
  const install: Chosen[] = []
  const erase: string[] = []
  const removed: Header[] = []
  const replaced: Array<readonly [Chosen, Header]> = []
  for (const st of steps) {
    const h = pool.isInstalled(st.pkg) ? (pool.data[st.pkg] as Header) : undefined
    if (st.kind === "install") install.push(chosen(st.pkg))
    else if (st.kind === "erase") {
      erase.push(nevraOf(h!))
      removed.push(h!)
    } else if (h && st.by !== undefined) {
      const c = chosen(st.by)
      install.push(c)
      erase.push(nevraOf(h))
      replaced.push([c, h])
    }
  }
  // nothing the user did not name may leave the base (the locks say so; this checks the answer)
  const named = new Set([...state.remove, ...replaced.map(([c]) => c.name)])
  const stray = removed.filter((h) => !named.has(nameOf(h)))
  if (stray.length) fail(`the layered packages would remove base packages ${stray.map(nevraOf).join(", ")}`)
  return { install, erase, removed, replaced, inactive }
}

const compareEvrText = (a: string, b: string): number => compareEvr(parseEvr(a), parseEvr(b))
