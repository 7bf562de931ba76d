/**
 * The bootlinks (`ostree/boot.$B.$S/$stateroot/$bootcsum/$bootserial -> deployment`) that the
 * `ostree=` kernel argument resolves through, and the repo refs `ostree/$B/$S/$i` that keep each
 * listed deployment's commit from being pruned (create_new_bootlinks, generate_deployment_refs).
 */
import { mkdir, readdir } from "node:fs/promises"
import { writeRefNow } from "../repo/refs.js"
import type { Repo } from "../repo/repo.js"
import { sysFsError } from "./error.js"
import { replaceSymlink, rmrf } from "./fs-ops.js"
import { bootlinkTarget, deploymentRefName, subbootPath, type BootVersion } from "./layout.js"
import type { Deployment } from "./types.js"

export interface WriteSubbootOptions {
  readonly sysroot: string
  readonly bootversion: BootVersion
  readonly subbootversion: BootVersion
  /** With bootserials assigned. */
  readonly deployments: ReadonlyArray<Deployment>
}

/** Rebuilds `ostree/boot.$B.$S` from scratch (rm -rf first, so a rerun is clean). */
export const writeSubboot = async (opts: WriteSubbootOptions): Promise<string> => {
  const dir = subbootPath(opts.sysroot, opts.bootversion, opts.subbootversion)
  await rmrf(dir, "create bootlinks")
  try {
    await mkdir(dir, { recursive: true, mode: 0o755 })
    for (const d of opts.deployments) {
      const parent = `${dir}/${d.stateroot}/${d.bootcsum}`
      await mkdir(parent, { recursive: true, mode: 0o755 })
      await replaceSymlink(bootlinkTarget(d), `${parent}/${d.bootserial}`, "create bootlinks")
    }
  } catch (e) {
    throw sysFsError("create bootlinks", dir, e)
  }
  return dir
}

/** The `ostree/$B/$S/$i` refs present in the repo, as [name, i]. */
const refsUnder = async (repo: Repo, b: BootVersion, s: BootVersion): Promise<string[]> => {
  const dir = `${repo.path}/refs/heads/ostree/${b}/${s}`
  const names = await readdir(dir).catch(() => [] as string[])
  return names.filter((n) => /^[0-9]+$/.test(n)).map((n) => `ostree/${b}/${s}/${n}`)
}

/** Deletes every `ostree/$B/$S/*` ref (cleanup_ref_prefix). */
export const deleteDeploymentRefs = async (repo: Repo, b: BootVersion, s: BootVersion): Promise<string[]> => {
  const refs = await refsUnder(repo, b, s)
  for (const r of refs) await writeRefNow(repo, "heads", r, null)
  return refs
}

/** Makes `ostree/$B/$S/$i` exactly the given deployments' commits. */
export const writeDeploymentRefs = async (opts: {
  readonly repo: Repo
  readonly bootversion: BootVersion
  readonly subbootversion: BootVersion
  readonly deployments: ReadonlyArray<Pick<Deployment, "checksum">>
}): Promise<string[]> => {
  const { repo, bootversion: b, subbootversion: s } = opts
  const wanted = opts.deployments.map((_, i) => deploymentRefName(b, s, i))
  for (const r of await refsUnder(repo, b, s)) if (!wanted.includes(r)) await writeRefNow(repo, "heads", r, null)
  for (const [i, d] of opts.deployments.entries()) await writeRefNow(repo, "heads", wanted[i]!, d.checksum)
  return wanted
}
