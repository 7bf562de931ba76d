/**
 * The world of the layering machine tests: a scratch sysroot (no run dir: changes are deployed
 * directly, as `ostree admin deploy` does) or a booted one (run dir with ostree-booted: changes
 * are staged), that deployed base 1 of the layering fixture distribution from the local ref
 * testos/base; base 2 can be committed on the same ref for upgrades.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { loadSysroot } from "../../src/io/sysroot/read-state.js"
import { originPath, deploymentPath } from "../../src/io/sysroot/layout.js"
import { layerDistro, makeBase, type LayerDistro } from "../helpers/layer-distro.js"
import { strata, type RunResult } from "../helpers/tmp.js"
import { ok, runDirOf, type Tap } from "./upgrade-fixture.js"

export interface LayerWorld {
  readonly S: string
  readonly d: LayerDistro
  readonly base1: string
  /** Commits base 2 on testos/base. */
  readonly publish2: () => Promise<string>
}

export const makeLayerSysroot = async (t: Tap, dir: string, { booted = false } = {}): Promise<LayerWorld> => {
  const d = layerDistro()
  const S = join(dir, "S")
  ok(t, strata(["admin", "init-fs", S]), "init-fs")
  ok(t, strata(["admin", "os-init", "testos", "--sysroot", S]), "os-init")
  const base1 = await makeBase({ repoDir: join(S, "ostree/repo"), ref: "testos/base", n: 1, work: dir, d })
  ok(t, strata(["admin", "deploy", "--os=testos", "testos/base", "--sysroot", S]), "deploy base 1")
  if (booted) runDirOf(S)
  return { S, d, base1, publish2: () => makeBase({ repoDir: join(S, "ostree/repo"), ref: "testos/base", n: 2, work: dir, d }) }
}

/** strata on the scratch sysroot (no run dir), or with its run dir when booted. */
export const lst = (S: string, args: ReadonlyArray<string>, { booted = false, env = {} }: { booted?: boolean; env?: Record<string, string> } = {}): RunResult =>
  strata([...args, "--sysroot", S, ...(booted ? ["--run-dir", join(S, "run")] : [])], { env })

/** The boot list: checksum, origin text, root path of each deployment (staged first). */
export const deployments = async (S: string, booted = false) => {
  const st = await loadSysroot({ sysroot: S, ...(booted ? { runDir: join(S, "run") } : {}) })
  return st.deployments.map((x) => ({ checksum: x.checksum, staged: x.staged ?? false, origin: readFileSync(originPath(S, x), "utf8"), root: deploymentPath(S, x) }))
}
