/**
 * How status reports are shown: `ostree admin status`'s text, and `rpm-ostree status`'s text and
 * JSON (FORMATS.md 7.4: its field names; tuples as arrays, as json-glib prints GVariants).
 * Presentation only: the data comes from src/machines/status.ts.
 */
import type { StatusDeployment, StatusReport } from "../src/machines/status.js"
import { filterCommitMeta } from "../src/machines/status-layers.js"
import { variantToJson } from "../src/machines/status.js"
import { kv, layerLines } from "./render-status-layers.js"

/** `ostree admin status`, line for line (ot-admin-builtin-status.c, 2022.7). */
export const renderAdminStatus = (r: StatusReport): string => {
  const lines: string[] = []
  if (r.deployments.length === 0) lines.push("No deployments.")
  // ostree marks pending and rollback only relative to a booted deployment.
  const booted = r.deployments.some((d) => d.booted)
  for (const d of r.deployments) {
    const mark = d.staged ? " (staged)" : booted && d.pending ? " (pending)" : booted && d.rollback ? " (rollback)" : ""
    lines.push(`${d.booted ? "*" : " "} ${d.stateroot} ${d.checksum}.${d.serial}${mark}`)
    if (d.version !== undefined) lines.push(`    Version: ${d.version}`)
    if (d.pinned) lines.push("    Pinned: yes")
    if (!d.origin) lines.push("    origin: none")
    else lines.push(d.refspec !== undefined ? `    origin refspec: ${d.refspec}` : "    origin: <unknown origin type>")
  }
  return [...notes(r), ...lines].join("\n")
}

const notes = (r: StatusReport): string[] => [
  ...(r.note ? [`note: ${r.note}`] : []),
  ...(r.adopted ? ["note: adopted this sysroot into the event log"] : []),
  ...(r.drift?.length ? [`note: recorded ${r.drift.length} difference${r.drift.length === 1 ? "" : "s"} between the disk and the event log`] : []),
  ...(r.restaged?.length ? [`note: staged again (its /run state was lost): ${r.restaged.join(", ")}`] : []),
]

const time = (t: number | undefined): string => (t === undefined ? "" : ` (${new Date(t * 1000).toISOString().replace(/\.000Z$/, "Z")})`)

/** `rpm-ostree status [-v]`. */
export const renderStatus = (r: StatusReport, verbose: boolean): string => {
  const lines = [`State: ${r.inflight.length ? "busy" : "idle"}`]
  for (const t of r.inflight) lines.push(`Transaction: ${t.kind} (${t.argv.join(" ")})`)
  lines.push(...notes(r))
  lines.push("Deployments:")
  for (const d of r.deployments) {
    const field = (k: string, v: string): void => void lines.push(kv(k, v))
    lines.push(`${d.booted ? "●" : " "} ${d.refspec ?? d.checksum}${d.staged ? " (staged)" : ""}`)
    // a client layer shows its base's timestamp and checksum (BaseCommit), the layer's with -v
    const base = d.base && d.commit.layer ? d.base : undefined
    const ts = (base ?? d.commit).timestamp
    if (d.version !== undefined) field("Version", `${d.version}${time(ts)}`)
    else if (ts !== undefined) field("Timestamp", time(ts).slice(2, -1))
    // rpm-ostree: with live changes the on-disk commit is "Booted…", then the live one
    const live = d.live?.commit !== undefined || d.live?.inprogress !== undefined
    if (base) {
      field(live ? "BootedBaseCommit" : "BaseCommit", d.commit.layer!.baseChecksum)
      if (verbose || live) field("Commit", d.checksum)
    } else field(live ? "BootedCommit" : "Commit", d.checksum)
    if (d.live?.inprogress) field("InterruptedLiveCommit", d.live.inprogress)
    if (d.live?.commit) field("LiveCommit", d.live.commit)
    if (verbose) {
      field("StateRoot", d.stateroot)
      field("Id", d.id)
      if (d.kargs !== undefined) field("Kargs", d.kargs)
    }
    if (d.staged) field("Staged", d.stage?.locked ? "yes (finalization locked)" : "yes")
    lines.push(...layerLines(d, verbose))
    if (d.pinned) field("Pinned", "yes")
    lines.push("")
  }
  return lines.join("\n").replace(/\n+$/, "")
}

const sortedUnique = (l: ReadonlyArray<string>): string[] => [...new Set(l)].sort()

const deploymentJson = (d: StatusDeployment) => {
  const req = d.requests
  const layer = d.commit.layer
  const base = layer && d.base ? d.base : undefined
  const initramfs = req.regenerateInitramfs || req.initramfsArgs.length > 0 || req.initramfsEtc.length > 0
  return {
    id: d.id,
    osname: d.stateroot,
    checksum: d.checksum,
    serial: d.serial,
    booted: d.booted,
    staged: d.staged,
    "finalization-locked": d.stage?.locked ?? false,
    pinned: d.pinned,
    unlocked: d.unlocked ?? "none",
    ...(d.live?.inprogress ? { "live-inprogress": d.live.inprogress } : {}),
    ...(d.live?.commit ? { "live-replaced": d.live.commit } : {}),
    ...(d.refspec !== undefined ? { origin: d.refspec } : {}),
    "requested-packages": sortedUnique(req.requested),
    "requested-local-packages": sortedUnique(req.requestedLocal.map((p) => p.nevra)),
    "requested-local-fileoverride-packages": [],
    "requested-base-removals": sortedUnique(req.remove),
    "requested-base-local-replacements": sortedUnique(req.replaceLocal.map((p) => p.nevra)),
    ...(req.replace.length ? { "requested-base-remote-replacements": req.replace.map((r) => [`repo=${r.repo}`, [...r.packages]]) } : {}),
    "regenerate-initramfs": req.regenerateInitramfs,
    ...(initramfs ? { "initramfs-args": [...req.initramfsArgs], "initramfs-etc": sortedUnique(req.initramfsEtc) } : {}),
    ...(d.version !== undefined ? { version: d.version } : {}),
    ...(d.commit.timestamp !== undefined ? { timestamp: d.commit.timestamp } : {}),
    ...(base && layer
      ? {
          "base-checksum": layer.baseChecksum,
          ...(base.version !== undefined ? { "base-version": base.version } : {}),
          ...(base.timestamp !== undefined ? { "base-timestamp": base.timestamp } : {}),
          "layered-commit-meta": filterCommitMeta(d.commit.metadata),
        }
      : {}),
    "base-commit-meta": filterCommitMeta((base ?? d.commit).metadata),
    packages: [...(layer?.packages ?? [])],
    "base-removals": variantToJson(layer?.raw.removed ?? []),
    "base-local-replacements": variantToJson(layer?.raw.replacedLocal ?? []),
    "base-remote-replacements": variantToJson({ type: "a{sv}", value: layer?.raw.replacedRemote ?? [] }),
    "gpg-enabled": false,
  }
}

/** `rpm-ostree status --json`. */
export const statusJson = (r: StatusReport) => ({
  deployments: r.deployments.map(deploymentJson),
  transaction: r.inflight[0] ? [r.inflight[0].kind, r.inflight[0].argv.join(" "), r.inflight[0].txn] : null,
  "cached-update": null,
  "update-driver": null,
})
