/**
 * The world of the apply-live tests. A booted layering sysroot (run dir with ostree-booted) whose
 * booted deployment is made "the running root" the way ostree-prepare-root makes it: a bind
 * mount of the deployment directory — here at R, inside a private mount namespace
 * (`unshare -m`), with STRATA_LIVE_ROOT=R telling strata that R stands for `/`. The overlay
 * strata mounts on R/usr is real and lives as long as the namespace: every command of one
 * scenario runs in one shell inside it, which also reports what R shows before it exits.
 */
import { createHash } from "node:crypto"
import { lstatSync, readdirSync, readFileSync, readlinkSync, mkdirSync, mkdtempSync } from "node:fs"
import { basename, join } from "node:path"
import { spawnSync } from "node:child_process"
import { deployments, makeLayerSysroot, type LayerWorld } from "./layer-fixture.js"
import type { Tap } from "./upgrade-fixture.js"
import type { RunResult } from "../helpers/tmp.js"

export interface LiveWorld extends LayerWorld {
  /** The booted deployment's directory (never to be written but for /etc additions). */
  readonly D: string
}

export const makeLiveWorld = async (t: Tap, dir: string): Promise<LiveWorld> => {
  const w = await makeLayerSysroot(t, dir, { booted: true })
  const D = (await deployments(w.S, true))[0]!.root
  return { ...w, D }
}

/** Every entry under `dir`: path, inode, mode, size, and content hash or link target — what "unchanged on disk" means. */
export const fingerprint = (dir: string, skip: (rel: string) => boolean = () => false): string => {
  const out: string[] = []
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name
      if (skip(r)) continue
      const p = join(dir, r)
      const st = lstatSync(p)
      const what = st.isFile() ? createHash("sha256").update(readFileSync(p)).digest("hex") : st.isSymbolicLink() ? `-> ${readlinkSync(p)}` : ""
      out.push(`${r} ${st.ino} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.isDirectory() ? "" : st.size} ${what}`)
      if (st.isDirectory()) walk(r)
    }
  }
  walk("")
  return out.join("\n")
}

export interface NsResult {
  readonly runs: RunResult[]
  /** R/usr as the running system sees it: every path, and the hash of each file. */
  readonly usr: string
  /** R/etc: every path. */
  readonly etc: string
  /** The mountinfo line of R/usr, "" when nothing is mounted there. */
  readonly mount: string
  /** What each `{ sh, file }` step printed. */
  readonly files: Record<string, string>
}

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`

/**
 * Runs strata commands (each `{ args, env }`; `--sysroot S --run-dir S/run` appended) one after
 * another in one private mount namespace where R is a bind mount of D, then reports R.
 */
export type NsStep = { readonly args: ReadonlyArray<string>; readonly env?: Record<string, string>; readonly noRunDir?: boolean } | { readonly sh: string; readonly file: string }

export const inNamespace = (w: { S: string; D: string }, given: ReadonlyArray<NsStep>): NsResult => {
  // What a boot-time unit does first: the log learns which deployment is booted.
  const steps: NsStep[] = [{ args: ["admin", "record-boot", "--deployment", basename(w.D)], noRunDir: true }, ...given]
  const cmds = steps.filter((s): s is Extract<NsStep, { args: unknown }> => "args" in s)
  const out = mkdtempSync(join(w.S, "..", "ns-"))
  const R = join(out, "root")
  mkdirSync(R)
  const bin = join(process.cwd(), "bin", "strata.js")
  const lines = [`mount --bind ${q(w.D)} ${q(R)}`, `export STRATA_LIVE_ROOT=${q(R)}`]
  let i = 0
  for (const c of steps) {
    if ("sh" in c) {
      lines.push(`(${c.sh}) >${out}/${c.file} 2>&1`)
      continue
    }
    const env = Object.entries(c.env ?? {}).map(([k, v]) => `${k}=${q(v)}`).join(" ")
    const argv = [...c.args, "--sysroot", w.S, ...(c.noRunDir ? [] : ["--run-dir", join(w.S, "run")])].map(q).join(" ")
    lines.push(`env ${env} ${q(process.execPath)} ${q(bin)} ${argv} >${out}/${i}.out 2>${out}/${i}.err; echo $? >${out}/${i}.rc`)
    i++
  }
  lines.push(`(cd ${q(R)}/usr && find . | LC_ALL=C sort && find . -type f -exec sha256sum {} + | LC_ALL=C sort -k2) >${out}/usr`)
  lines.push(`(cd ${q(R)}/etc && find . | LC_ALL=C sort) >${out}/etc`)
  lines.push(`awk '$5 == "${R}/usr"' /proc/self/mountinfo >${out}/mount`)
  const r = spawnSync("unshare", ["-m", "--propagation", "private", "sh", "-c", lines.join("\n")], { encoding: "utf8" })
  if (r.status !== 0) throw new Error(`unshare failed: ${r.stderr}`)
  const read = (f: string): string => readFileSync(join(out, f), "utf8")
  const rc = (i: number): number => {
    const n = Number(read(`${i}.rc`).trim())
    return n > 128 ? -1 : n // killed (STRATA_CRASH_AT): as spawnSync reports a signal
  }
  return { runs: cmds.slice(1).map((_, i) => ({ status: rc(i + 1), stdout: read(`${i + 1}.out`), stderr: read(`${i + 1}.err`) })), usr: read("usr"), etc: read("etc"), mount: read("mount").trim(), files: Object.fromEntries(steps.flatMap((s) => ("sh" in s ? [[s.file, read(s.file)]] : []))) }
}

/** The booted deployment's entry of `status --json` output. */
export const bootedJson = (stdout: string, checksum: string): Record<string, unknown> =>
  (JSON.parse(stdout) as { deployments: Array<Record<string, unknown>> }).deployments.find((d) => d["checksum"] === checksum && d["staged"] === false)!
