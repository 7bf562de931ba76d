/**
 * Shared by the sysroot crash tests that copy a prepared sysroot per kill point: the copy, the
 * `Type:n` labels of the events after a position (what STRATA_CRASH_AT takes), and a view of
 * observe() in which client-layer commits are named by their base (a rebuilt layer is another
 * commit — its timestamp and rpmdb install times differ — for the same state).
 */
import { execFileSync, spawnSync } from "node:child_process"
import { readLog } from "./harness.js"

/** `cp -a from to` (keeps ownership, xattrs and hardlinks, as a sysroot needs). */
export const cpA = (from: string, to: string): string => {
  const r = spawnSync("cp", ["-a", from, to])
  if (r.status !== 0) throw new Error(`cp -a failed: ${r.stderr}`)
  return to
}

/** The events of S's log after `fromPos`, as crash labels: `DeployRequested:1`, … */
export const labelsOf = async (S: string, fromPos: number): Promise<string[]> => {
  const seen = new Map<string, number>()
  return (await readLog(S)).slice(fromPos).map((e) => {
    const n = (seen.get(e.type) ?? 0) + 1
    seen.set(e.type, n)
    return `${e.type}:${n}`
  })
}

/** observe()'s JSON with client-layer deployments named `layer-on-<base>.<serial>`. */
export const normalizedLayers = (S: string, state: string): string => {
  const repo = `--repo=${S}/ostree/repo`
  const name = (id: string | null): string | null => {
    if (id === null) return null
    const [short, serial] = id.split(".")
    const full = execFileSync("ostree", [repo, "rev-parse", short!], { encoding: "utf8" }).trim()
    const meta = spawnSync("ostree", [repo, "show", "--print-metadata-key=rpmostree.clientlayer", full], { encoding: "utf8" })
    return meta.status === 0 && meta.stdout.trim() === "true" ? `layer-on-${execFileSync("ostree", [repo, "rev-parse", `${full}^`], { encoding: "utf8" }).trim().slice(0, 12)}.${serial}` : id
  }
  const o = JSON.parse(state) as { list: string[]; staged: string | null; stagedFile: string | null; dirs: string[] }
  return JSON.stringify({ list: o.list.map(name), staged: name(o.staged), stagedFile: name(o.stagedFile), dirs: o.dirs.map(name).sort() })
}
