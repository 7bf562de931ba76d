/**
 * `static-delta apply-offline` and `static-delta show` (ostree-repo-static-delta-core.c
 * ostree_repo_static_delta_execute_offline_with_signature, _ostree_repo_static_delta_dump).
 * apply-offline takes a delta directory or its superblock file, needs FROM here, refuses
 * deltas with HTTP fallbacks, and writes the commit, its detached metadata and every part's
 * objects in one transaction — all or nothing.
 */
import { readFile, stat } from "node:fs/promises"
import { dirname, join } from "node:path"
import { lookup, serialize, type VarDict } from "../../formats/gvariant/index.js"
import { deltaDir, parseSuperblock, unwrapSignedSuperblock, type Checksum, type PartHeader, type Superblock } from "../../formats/ostree/index.js"
import { hasObject } from "../repo/object-read.js"
import type { Repo } from "../repo/repo.js"
import { withTransaction, writeContentFrom, writeMetadata } from "../repo/transaction.js"
import { formatSize } from "../../lib/glib-format.js"
import { executePart, openPart } from "./delta-apply.js"
import { writeDetachedBytes } from "./detached-meta.js"
import { RemoteError } from "./error.js"
import { checkMetadata } from "./object-fetch.js"

const load = async (path: string): Promise<{ sb: Superblock; signed: boolean; dir: string }> => {
  const st = await stat(path).catch(() => undefined)
  if (!st) throw new RemoteError({ op: "static-delta", reason: "NotFound", path, detail: "no such delta" })
  const file = st.isDirectory() ? join(path, "superblock") : path
  const raw = await readFile(file)
  const u = unwrapSignedSuperblock(raw)
  try {
    return { sb: parseSuperblock(u.superblock), signed: u.signatures !== undefined, dir: dirname(file) }
  } catch (e) {
    throw new RemoteError({ op: "static-delta", reason: "Corrupt", path: file, detail: (e as Error).message })
  }
}

const inline = (sb: Superblock, i: number): Uint8Array | undefined => {
  const v = lookup(sb.metadata, `${deltaDir(sb.from, sb.to)}/${i}`)
  if (v?.type !== "(yay)") return undefined
  const [c, body] = v.value as [number, Uint8Array]
  return Buffer.concat([Buffer.of(c), body])
}

export const applyOffline = async (repo: Repo, path: string): Promise<Checksum> => {
  const { sb, dir } = await load(path)
  if (sb.from && !(await hasObject(repo, sb.from, "commit"))) {
    throw new RemoteError({ op: "static-delta apply-offline", reason: "NotFound", detail: `Commit ${sb.from}, which is the delta source, is not in repository` })
  }
  if (sb.fallbacks.length > 0) {
    throw new RemoteError({ op: "static-delta apply-offline", reason: "Unsupported", detail: "Cannot execute delta offline: contains nonempty http fallback entries" })
  }
  checkMetadata("commit", sb.to, sb.commit)
  await withTransaction(repo, async (txn) => {
    for (const [i, header] of sb.parts.entries()) {
      if (header.version > 0) throw new RemoteError({ op: "static-delta apply-offline", reason: "Unsupported", detail: `Delta part has too new version ${header.version}` })
      const have = await Promise.all(header.objects.map((o) => hasObject(repo, o.checksum, o.type)))
      if (have.every(Boolean)) continue
      const bytes = inline(sb, i) ?? (await readFile(join(dir, String(i))).catch(() => {
        throw new RemoteError({ op: "static-delta apply-offline", reason: "NotFound", path: join(dir, String(i)), detail: `missing delta part ${i}` })
      }))
      const part = await openPart(bytes, inline(sb, i) ? undefined : header.checksum)
      await executePart({
        repo, header, part,
        sink: {
          metadata: async (type, _csum, b) => void (await writeMetadata(txn, type, b)),
          content: async (csum, meta, data) => void (await writeContentFrom(txn, meta, { data }, csum)),
        },
      })
    }
    await writeMetadata(txn, "commit", sb.commit)
  })
  const meta = lookup(sb.metadata, `${deltaDir(sb.from, sb.to)}/commitmeta`)
  if (meta?.type === "a{sv}") await writeDetachedBytes(repo, sb.to, serialize("a{sv}", meta.value as VarDict))
  return sb.to
}

/** `static-delta show`, in ostree's layout. */
export const showDelta = async (repo: Repo, name: string): Promise<string> => {
  const m = /^(?:([0-9a-f]{64})-)?([0-9a-f]{64})$/.exec(name)
  if (!m) throw new RemoteError({ op: "static-delta show", reason: "Invalid", detail: `invalid delta name "${name}"` })
  const { sb, signed, dir } = await load(join(repo.path, deltaDir(m[1] ?? null, m[2]!)))
  const lines = [`Delta: ${name}`, `Signed: ${signed ? "yes" : "no"}`, sb.from ? `From: ${sb.from}` : "From <scratch>", `To: ${sb.to}`]
  lines.push(`Endianness: ${sb.bigEndian ? "big" : "little"}`, `Timestamp: ${sb.timestamp}`, "Number of parents: 0", `Number of fallback entries: ${sb.fallbacks.length}`)
  let fs = 0n
  let fu = 0n
  for (const f of sb.fallbacks) {
    lines.push(`  ${f.checksum}`)
    fs += f.size
    fu += f.usize
  }
  lines.push(`Total Fallback Size: ${fs} (${formatSize(fs)})`, `Total Fallback Uncompressed Size: ${fu} (${formatSize(fu)})`, `Number of parts: ${sb.parts.length}`)
  let ts = 0n
  let tu = 0n
  for (const [i, p] of sb.parts.entries()) {
    ts += p.size
    tu += p.usize
    lines.push(`PartMeta${i}: nobjects=${p.objects.length} size=${p.size} usize=${p.usize}`)
    const bytes = inline(sb, i) ?? (await readFile(join(dir, String(i))))
    const payload = await openPart(bytes, undefined)
    const counts = countOps(payload.ops, p)
    const c = (op: string): number => counts.get(op.charCodeAt(0)) ?? 0
    lines.push(`PartPayload${i}: nmodes=${payload.modes.length} nxattrs=${payload.xattrs.length} blobsize=${payload.raw.length} opsize=${payload.ops.length}`)
    lines.push(`PartPayloadOps${i}: openspliceclose=${c("S")} open=${c("o")} write=${c("w")} setread=${c("r")} unsetread=${c("R")} close=${c("c")} bspatch=${c("B")}`)
  }
  lines.push(`Total Part Size: ${ts} (${formatSize(ts)})`, `Total Part Uncompressed Size: ${tu} (${formatSize(tu)})`)
  lines.push(`Total Size: ${ts + fs} (${formatSize(ts + fs)})`, `Total Uncompressed Size: ${tu + fu} (${formatSize(tu + fu)})`)
  return lines.join("\n")
}

/** Counts a part's opcodes without executing them; 'S' takes 2 varints for metadata, 4 for content. */
const ARGS: Record<number, number> = { 0x6f: 3, 0x77: 2, 0x72: 1, 0x52: 0, 0x63: 0, 0x42: 2 }
const countOps = (ops: Uint8Array, header: PartHeader): Map<number, number> => {
  const counts = new Map<number, number>()
  let index = 0
  for (let p = 0; p < ops.length; ) {
    const op = ops[p++]!
    counts.set(op, (counts.get(op) ?? 0) + 1)
    let n = ARGS[op] ?? 0
    if (op === 0x53) n = header.objects[index++]?.type === "file" ? 4 : 2
    if (op === 0x63) index++
    for (let i = 0; i < n && p < ops.length; i++) {
      while (p < ops.length && ops[p]! & 0x80) p++
      p++
    }
  }
  return counts
}
