import { bswap64, lookup, parse, parseVariantText, printVariant, type VarDict, type Variant } from "../../src/formats/gvariant/index.js"
import { SUMMARY_TYPE, type Summary, type SummaryRef } from "../../src/formats/ostree/index.js"
import { readSummary, updateSummary } from "../../src/io/repo/summary.js"
import { formatIsoDate, formatSize } from "../../src/lib/glib-format.js"
import { flag, str, strs, type Command } from "../command.js"
import { reindexDeltas } from "../../src/io/remote/delta-index.js"
import { checkSignType, loadSecretKeys, signSummary } from "../../src/io/remote/sign.js"
import { formatRawValue } from "./commit-text.js"
import { repoOption, repoPath, usage, useRepo } from "./common.js"

const be64 = (v: Variant): bigint => bswap64(v.value as bigint)

const refLines = (cid: string | undefined, refs: ReadonlyArray<SummaryRef>): string[] =>
  refs.flatMap((r) => {
    const lines = [cid ? `* (${cid}, ${r.ref})` : `* ${r.ref}`, `    Latest Commit (${formatSize(r.commitSize)}):`, `      ${r.checksum}`]
    for (const [k, v] of r.metadata) {
      if (k === "ostree.commit.timestamp") lines.push(`    Timestamp (${k}): ${formatIsoDate(be64(v))}`)
      else if (k === "ostree.commit.version") lines.push(`    Version (${k}): ${v.value as string}`)
      else lines.push(`    ${k}: ${printVariant(v.type, v.value, false)}`)
    }
    return [...lines, ""]
  })

const PRETTY: Record<string, [string, (v: Variant) => string]> = {
  "ostree.static-deltas": ["Static Deltas", (v) => printVariant(v.type, v.value, false)],
  "ostree.summary.last-modified": ["Last-Modified", (v) => formatIsoDate(be64(v))],
  "ostree.summary.expires": ["Expiry", (v) => formatIsoDate(be64(v))],
  "ostree.summary.collection-id": ["Collection ID", (v) => v.value as string],
  "ostree.summary.collection-map": ["Collection Map", () => "(printed above)"],
  "ostree.summary.mode": ["Repository Mode", (v) => v.value as string],
  "ostree.summary.tombstone-commits": ["Has Tombstone Commits", (v) => (v.value ? "Yes" : "No")],
}

/** `ostree summary -v` (ot_dump_summary_bytes). */
export const formatSummary = (s: Summary): string => {
  const cid = lookup(s.metadata, "ostree.summary.collection-id")?.value as string | undefined
  const lines = refLines(cid, s.refs)
  const map = lookup(s.metadata, "ostree.summary.collection-map")
  for (const [c, refs] of (map?.value ?? []) as Array<[string, Array<[string, [bigint, Uint8Array, VarDict]]>]>) {
    lines.push(...refLines(c, refs.map(([ref, [size, csum, metadata]]) => ({ ref, commitSize: size, checksum: Buffer.from(csum).toString("hex"), metadata }))))
  }
  for (const [k, v] of s.metadata) {
    const p = PRETTY[k]
    lines.push(p ? `${p[0]} (${k}): ${p[1](v)}` : `${k}: ${printVariant(v.type, v.value, false)}`)
  }
  return lines.join("\n") + "\n"
}

export const summary: Command = {
  path: ["repo", "summary"],
  summary: "Manage summary metadata",
  usage: "(-u [-m KEY=VALUE]... | -v | --raw)",
  options: {
    ...repoOption,
    update: { type: "boolean", short: "u" },
    view: { type: "boolean", short: "v" },
    raw: { type: "boolean" },
    "add-metadata": { type: "string", short: "m", multiple: true },
    // signapi signing of the new summary into summary.sig (ostree summary -u --sign=KEY)
    sign: { type: "string", multiple: true },
    "sign-type": { type: "string" },
    "keys-file": { type: "string" },
  },
  run: async (args) => {
    const v = args.values
    if (!flag(v.update) && !flag(v.view) && !flag(v.raw)) throw usage("summary", "no option specified; use -u to update the summary")
    if (flag(v.update)) {
      const metadata = strs(v["add-metadata"]).map((kv) => {
        const eq = kv.indexOf("=")
        if (eq <= 0) throw usage("summary", `-m takes KEY=VALUE, got "${kv}"`)
        try {
          return [kv.slice(0, eq), parseVariantText(kv.slice(eq + 1))] as const
        } catch (e) {
          throw usage("summary", `-m ${kv}: ${(e as Error).message}`)
        }
      })
      const repoDir = repoPath(args)
      await reindexDeltas(await useRepo(args)) // as ostree's regenerate does, so indexed-deltas holds
      await updateSummary(repoDir, { metadata })
      const keys = strs(v.sign)
      if (keys.length || str(v["keys-file"])) {
        checkSignType(str(v["sign-type"]) ?? "ed25519")
        await signSummary({ repo: await useRepo(args), secretKeys: await loadSecretKeys({ keys, keysFile: str(v["keys-file"]) }) })
      }
    }
    if (!flag(v.view) && !flag(v.raw)) return
    const { summary: s, bytes } = await readSummary(await useRepo(args))
    if (flag(v.raw)) {
      return { stdout: `${formatRawValue(SUMMARY_TYPE, parse(SUMMARY_TYPE, bytes))}\n` }
    }
    return { stdout: formatSummary(s) }
  },
}
