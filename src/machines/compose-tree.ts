/**
 * `composeTree`: rpm-ostree's `compose tree` as one library call (the CLI command and the tests
 * call it). Reading work first — treefile, repositories, depsolve, input hash — then, unless that
 * shows nothing changed, the compose transaction (compose.ts) under the repository's lock.
 *
 * Bad input (a malformed treefile, an unknown package, an unresolvable request, a missing repo)
 * fails before anything is written: no log, no objects, no ref.
 */
import { readFileSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { loadTreefile, canonicalJson, type Treefile } from "../formats/treefile.js"
import { lookup } from "../formats/gvariant/index.js"
import { hostBasearch } from "../io/rpm/repos.js"
import { openRepo } from "../io/repo/repo.js"
import { loadCommit } from "../io/repo/object-read.js"
import { readRef } from "../io/repo/refs.js"
import { resolvePackages, metadataCacheDir, type ResolvedPackage, type RpmmdRepo } from "../io/compose/resolve.js"
import { inputHash } from "../io/compose/inputhash.js"
import { resolveLayers } from "../io/compose/layers.js"
import { expandDate, nextVersion } from "../io/compose/metadata.js"
import { composeError } from "../io/compose/error.js"
import type { ComposeRequest } from "../io/compose/steps.js"
import { composeTransaction, type ComposeOutput } from "./compose.js"
import { repoPlace } from "./compose-place.js"
import { runTransaction } from "./runtime/run.js"
import { recover, type RecoveryReport } from "./runtime/recover.js"

export interface ComposeTreeOptions {
  readonly treefile: string
  readonly repo: string
  /** Downloads, unpacked packages and repository metadata; default REPO/tmp/cache/strata-compose. */
  readonly cachedir?: string
  /** Where the root is assembled; default REPO/tmp/strata-compose-<inputhash prefix>. */
  readonly workdir?: string
  /** Resolve and list the packages; write nothing. */
  readonly dryRun?: boolean
  /** Print the expanded treefile; resolve nothing. */
  readonly printOnly?: boolean
  /** Compose even when the inputs are those of the ref's commit. */
  readonly forceNocache?: boolean
  /** --add-metadata-string K=V */
  readonly addMetadata?: Readonly<Record<string, string>>
  readonly writeCommitidTo?: string
  readonly basearch?: string
  /** Commit timestamp (seconds); default SOURCE_DATE_EPOCH or now. */
  readonly timestamp?: bigint
  readonly argv?: ReadonlyArray<string>
  readonly onWait?: (message: string) => void
  readonly lockTimeoutMs?: number
}

export type ComposeTreeResult =
  | { readonly kind: "print-only"; readonly treefile: Treefile; readonly json: string }
  | { readonly kind: "dry-run"; readonly packages: ReadonlyArray<ResolvedPackage> }
  | { readonly kind: "no-change"; readonly commit: string; readonly inputhash: string }
  | ({ readonly kind: "committed"; readonly txn: string; readonly inputhash: string; readonly recovered: ReadonlyArray<RecoveryReport> } & ComposeOutput)

export const NO_CHANGE_MESSAGE = "No apparent changes since previous commit; use --force-nocache to override"

export const defaultCachedir = (repo: string): string => join(repo, "tmp", "cache", "strata-compose")

const readTreefile = (path: string): string => readFileSync(path, "utf8")

/** The treefile, expanded (no I/O but reading it and its includes). */
export const expandTreefile = (path: string, basearch = hostBasearch()): Treefile => loadTreefile({ path, basearch, readFile: readTreefile })

const commitTimestamp = (given?: bigint): bigint => {
  if (given !== undefined) return given
  const env = process.env["SOURCE_DATE_EPOCH"]
  return env && /^\d+$/.test(env) ? BigInt(env) : BigInt(Math.floor(Date.now() / 1000))
}

const stringMeta = async (repoPath: string, commit: string, key: string): Promise<string | undefined> => {
  const c = await loadCommit(await openRepo(repoPath), commit)
  const v = lookup(c.metadata, key)
  return v && typeof v.value === "string" ? v.value : undefined
}

export const composeTree = async (o: ComposeTreeOptions): Promise<ComposeTreeResult> => {
  const treefile = expandTreefile(o.treefile, o.basearch)
  if (o.printOnly) return { kind: "print-only", treefile, json: canonicalJson(treefile, 2) }
  const repoPath = resolve(o.repo)
  try {
    await openRepo(repoPath)
  } catch (e) {
    throw composeError("compose", "NotFound", `not an OSTree repository: ${(e as Error).message}`, repoPath)
  }
  const cachedir = resolve(o.cachedir ?? defaultCachedir(repoPath))
  const rpmmdRepos: RpmmdRepo[] = []
  const packages = await resolvePackages({ treefile, treefilePath: o.treefile, metadataCache: metadataCacheDir(cachedir), onRepo: (r) => rpmmdRepos.push(r) })
  if (o.dryRun) return { kind: "dry-run", packages }
  const extra = o.addMetadata ?? {}
  const readFile = (p: string): Buffer => {
    try {
      return readFileSync(p)
    } catch (e) {
      throw composeError("compose", "NotFound", `cannot read ${p}: ${(e as Error).message}`)
    }
  }
  const layers = await resolveLayers(repoPath, treefile["ostree-layers"] ?? [], treefile["ostree-override-layers"] ?? [])
  const inputhash = inputHash({ treefile, packages, readFile, extra, layers })
  const before = await readRef(await openRepo(repoPath), "heads", treefile.ref)
  if (before && !o.forceNocache && (await stringMeta(repoPath, before, "rpmostree.inputhash")) === inputhash) {
    return { kind: "no-change", commit: before, inputhash }
  }
  const workdir = resolve(o.workdir ?? join(repoPath, "tmp", `strata-compose-${inputhash.slice(0, 16)}`))
  const timestamp = commitTimestamp(o.timestamp)
  const r = await runTransaction({
    sysroot: repoPath,
    place: repoPlace(repoPath),
    definition: composeTransaction,
    definitions: [composeTransaction],
    ...(o.argv ? { argv: o.argv } : {}),
    ...(o.onWait ? { onWait: o.onWait } : {}),
    ...(o.lockTimeoutMs !== undefined ? { lockTimeoutMs: o.lockTimeoutMs } : {}),
    // under the lock: the parent and the version read now cannot go stale
    plan: async (): Promise<ComposeRequest> => {
      const parent = (await readRef(await openRepo(repoPath), "heads", treefile.ref)) ?? ""
      // checked again under the lock: a compose that held it may have just made this very commit
      const unchanged = parent !== "" && !o.forceNocache && (await stringMeta(repoPath, parent, "rpmostree.inputhash")) === inputhash
      const prefix = treefile["automatic-version-prefix"]
      const previousVersion = parent ? await stringMeta(repoPath, parent, "version") : undefined
      const version = prefix !== undefined ? nextVersion(expandDate(prefix, new Date(Number(timestamp) * 1000)), previousVersion, treefile["automatic-version-suffix"] ?? ".") : undefined
      return {
        repo: repoPath, ref: treefile.ref, parent, treefilePath: resolve(o.treefile), treefile: canonicalJson(treefile),
        packages: JSON.stringify(packages), cachedir, workdir, inputhash, ...(version !== undefined ? { version } : {}),
        extraMetadata: JSON.stringify(extra), timestamp: timestamp.toString(), ...(unchanged ? { unchanged } : {}),
        ...(layers.length ? { layers: JSON.stringify(layers) } : {}),
        rpmmdRepos: JSON.stringify(rpmmdRepos),
      }
    },
  })
  if (r.output.commit === r.output.parent) return { kind: "no-change", commit: r.output.parent, inputhash }
  if (o.writeCommitidTo) writeFileSync(o.writeCommitidTo, r.output.commit)
  return { kind: "committed", txn: r.txn, inputhash, recovered: r.recovered, ...r.output }
}

/** Finishes a compose a dead process left in flight (what the next compose also does first). */
export const recoverCompose = (repo: string, opts: { onWait?: (m: string) => void; lockTimeoutMs?: number } = {}): Promise<RecoveryReport[]> =>
  recover({
    sysroot: resolve(repo),
    place: repoPlace(resolve(repo)),
    definitions: [composeTransaction],
    ...(opts.onWait ? { onWait: opts.onWait } : {}),
    ...(opts.lockTimeoutMs !== undefined ? { lockTimeoutMs: opts.lockTimeoutMs } : {}),
  })

