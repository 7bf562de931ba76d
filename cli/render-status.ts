/**
 * How status reports are shown: `ostree admin status`'s text, and `rpm-ostree status`'s text and
 * JSON (FORMATS.md 7.4: its field names; tuples as arrays, as json-glib prints GVariants).
 * Presentation only: the data comes from src/machines/status.ts.
 */
import type { StatusDeployment, StatusReport } from "../src/machines/status.js"

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
    const field = (k: string, v: string): void => void lines.push(`${k.padStart(24)}: ${v}`)
    lines.push(`${d.booted ? "●" : " "} ${d.refspec ?? d.checksum}${d.staged ? " (staged)" : ""}`)
    if (d.version !== undefined) field("Version", `${d.version}${time(d.commit.timestamp)}`)
    else if (d.commit.timestamp !== undefined) field("Timestamp", time(d.commit.timestamp).slice(2, -1))
    field("Commit", d.checksum)
    if (verbose) {
      field("StateRoot", d.stateroot)
      field("Id", d.id)
      if (d.kargs !== undefined) field("Kargs", d.kargs)
    }
    if (d.staged) field("Staged", d.stage?.locked ? "yes (finalization locked)" : "yes")
    if (d.pinned) field("Pinned", "yes")
    lines.push("")
  }
  return lines.join("\n").replace(/\n+$/, "")
}

/** Commit metadata as rpm-ostree shows it: the package lists and the like are left out. */
const filteredMeta = (m: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> =>
  Object.fromEntries(Object.entries(m ?? {}).filter(([k]) => !/pkglist|advisories|packages|modules|\.spec|removed|replaced/.test(k)))

const deploymentJson = (d: StatusDeployment) => ({
  id: d.id,
  osname: d.stateroot,
  checksum: d.checksum,
  serial: d.serial,
  booted: d.booted,
  staged: d.staged,
  "finalization-locked": d.stage?.locked ?? false,
  pinned: d.pinned,
  unlocked: "none",
  ...(d.refspec !== undefined ? { origin: d.refspec } : {}),
  "requested-packages": [],
  "requested-local-packages": [],
  "requested-local-fileoverride-packages": [],
  "requested-base-removals": [],
  "requested-base-local-replacements": [],
  "requested-base-remote-replacements": [],
  "regenerate-initramfs": false,
  "initramfs-args": [],
  "initramfs-etc": [],
  ...(d.version !== undefined ? { version: d.version } : {}),
  ...(d.commit.timestamp !== undefined ? { timestamp: d.commit.timestamp } : {}),
  "base-commit-meta": filteredMeta(d.commit.metadata),
  packages: [],
  "base-removals": [],
  "base-local-replacements": [],
  "base-remote-replacements": [],
  "gpg-enabled": false,
})

/** `rpm-ostree status --json`. */
export const statusJson = (r: StatusReport) => ({
  deployments: r.deployments.map(deploymentJson),
  transaction: r.inflight[0] ? [r.inflight[0].kind, r.inflight[0].argv.join(" "), r.inflight[0].txn] : null,
  "cached-update": null,
  "update-driver": null,
})
