/**
 * The fixture RPM distribution (fixtures/distro), built on first use by its build.sh (rpmbuild,
 * gpg, createrepo_c) into fixtures/distro/.build (gitignored, reused while the inputs are
 * unchanged; concurrent test files serialise on the script's lock). The hostile local package
 * (an archive entry `../../../../tmp/evil`) cannot come out of rpmbuild, so it is written here
 * with the test package writer.
 */
import { execFile } from "node:child_process"
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { promisify } from "node:util"
import { writePackage } from "../../src/formats/rpm/package-write.js"
import { newcArchive } from "../../src/formats/rpm/cpio.js"
import { sh, strata, tmp, type RunResult } from "./tmp.js"

export const distroDir = join(process.cwd(), "fixtures", "distro", ".build")

/** The base set: what fixture.yaml (with its include) asks for, in no particular order. */
export const BASE_PACKAGES = [
  "filesystem", "setup", "fixture-release", "busybox", "libfoo", "libbar",
  "hello", "tool", "scripted", "fixture-docs-index", "fixture-docs", "kernel",
] as const
/** In both repositories (version 1 only), never in the base. */
export const EXTRA_PACKAGES = [
  "conflicting", "failing-script", "extra-a", "extra-b", "appender", "dracut",
  "layer-01", "layer-02", "layer-03", "layer-04", "layer-05", "layer-06", "layer-07", "layer-08", "layer-09", "layer-10",
] as const

export interface Distro {
  readonly dir: string
  /** rpm-md repositories: 1 = version 1 + extras; 2 = versions 1 and 2 + extras. */
  readonly repo1: string
  readonly repo2: string
  /** Compose directories: fixture.yaml + fixture-common.yaml + fixture-motd + fixture.repo (→ repo1 / repo2). */
  readonly compose1: string
  readonly compose2: string
  readonly treefile1: string
  readonly treefile2: string
  /** Kernel versions (directory names under /usr/lib/modules) of version 1 and 2. */
  readonly kver1: string
  readonly kver2: string
  /** The armored public key that signed localRpms.signed. */
  readonly key: string
  /** name → .rpm path: base packages version 1 plus the extras. */
  readonly v1: Readonly<Record<string, string>>
  /** name → .rpm path: base packages version 2. */
  readonly v2: Readonly<Record<string, string>>
  /** The base set's .rpm paths in version 1 resp. 2. */
  readonly base1: ReadonlyArray<string>
  readonly base2: ReadonlyArray<string>
  readonly localRpms: { readonly tool: string; readonly signed: string; readonly hostile: string }
}

const byName = (dir: string): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const f of readdirSync(dir).filter((f) => f.endsWith(".rpm")).sort()) {
    // name-version-release.arch.rpm: the name is everything before the second-to-last dash
    const parts = f.slice(0, -4).split("-")
    out[parts.slice(0, -2).join("-")] = join(dir, f)
  }
  return out
}

let building: Promise<void> | undefined

/** Builds the distribution once per process (and once per input change on disk); returns its paths. */
export const buildDistro = async (): Promise<Distro> => {
  building ??= promisify(execFile)("bash", [join(process.cwd(), "fixtures", "distro", "build.sh"), distroDir], { maxBuffer: 1 << 24 })
    .then(() => undefined)
    .catch((e: Error & { stderr?: string }) => { building = undefined; throw new Error(`fixtures/distro/build.sh failed: ${e.stderr ?? e.message}`) })
  await building
  const local = join(distroDir, "local")
  const hostile = join(local, "hostile-1.0-1.noarch.rpm")
  if (!existsSync(hostile)) {
    const bytes = writePackage({
      name: "hostile",
      files: [{ path: "/usr/share/hostile/ok", mode: 0o100644, data: Buffer.from("x") }],
      archive: newcArchive([{ name: "../../../../tmp/evil", mode: 0o100644, data: Buffer.from("x") }]),
    })
    const tmp = `${hostile}.${process.pid}.tmp`
    writeFileSync(tmp, bytes)
    renameSync(tmp, hostile)
  }
  const v1 = { ...byName(join(distroDir, "rpms", "1")), ...byName(join(distroDir, "rpms", "extras")) }
  const v2 = byName(join(distroDir, "rpms", "2"))
  const loc = byName(local)
  const compose1 = join(distroDir, "compose", "1")
  const compose2 = join(distroDir, "compose", "2")
  return {
    dir: distroDir,
    repo1: join(distroDir, "repo", "1"),
    repo2: join(distroDir, "repo", "2"),
    compose1,
    compose2,
    treefile1: join(compose1, "fixture.yaml"),
    treefile2: join(compose2, "fixture.yaml"),
    kver1: "6.1.0-1.fixture.x86_64",
    kver2: "6.2.0-1.fixture.x86_64",
    key: join(distroDir, "RPM-GPG-KEY-fixture"),
    v1,
    v2,
    base1: BASE_PACKAGES.map((n) => v1[n]!),
    base2: BASE_PACKAGES.map((n) => v2[n]!),
    localRpms: { tool: loc["local-tool"]!, signed: loc["local-signed"]!, hostile: loc["hostile"]! },
  }
}

export interface ComposeWorkspace {
  readonly d: Distro
  readonly dir: string
  readonly repo: string
  readonly cachedir: string
  /** Writes `treefile` (JSON, with `repos: ["fixture"]` unless given) as DIR/<ref>.json and composes it. */
  readonly compose: (treefile: Record<string, unknown> & { ref: string }, env?: Record<string, string>) => RunResult
}

/**
 * A scratch dir with an ostree repo (`mode`), a cachedir and the fixture distribution's
 * version-1 `fixture.repo`, where treefiles are composed by the CLI — the set-up of the compose
 * tests.
 */
export const composeWorkspace = async (t: { teardown: (fn: () => void) => void }, mode: "bare" | "archive" = "bare", prefix = "strata-compose-"): Promise<ComposeWorkspace> => {
  const d = await buildDistro()
  const dir = tmp(t, prefix)
  const repo = join(dir, "repo")
  const cachedir = join(dir, "cache")
  sh("ostree", [`--repo=${repo}`, "init", `--mode=${mode}`])
  writeFileSync(join(dir, "fixture.repo"), readFileSync(join(d.compose1, "fixture.repo")))
  const compose = (treefile: Record<string, unknown> & { ref: string }, env: Record<string, string> = {}): RunResult => {
    const p = join(dir, `${treefile.ref.replace(/\W/g, "-")}.json`)
    writeFileSync(p, JSON.stringify({ repos: ["fixture"], ...treefile }))
    return strata(["compose", "tree", "--repo", repo, "--cachedir", cachedir, p], { env })
  }
  return { d, dir, repo, cachedir, compose }
}
