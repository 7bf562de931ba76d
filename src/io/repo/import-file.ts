/**
 * Hash and store one input file (≤ the whole-file limit) into a staging dir, synchronously, from
 * a reused buffer. The one implementation behind both the in-process path and the workers.
 */
import { closeSync, mkdirSync, openSync, readdirSync, readSync } from "node:fs"
import { fileChecksum, isSymlink, loosePath } from "../../formats/ostree/index.js"
import type { ImportJob, ImportResult } from "./import-types.js"
import { storeContentSync } from "./object-write.js"
import type { RepoMode } from "./repo.js"

export interface Importer {
  readonly importFile: (job: ImportJob) => ImportResult
}

export const makeImporter = (opts: { mode: RepoMode; objectsDir: string; stagingDir: string }): Importer => {
  const archive = opts.mode === "archive"
  let buf = Buffer.allocUnsafe(1 << 20)
  const existing = new Map<string, Set<string>>()
  const madeDirs = new Set<string>()
  const have = (rel: string): boolean => {
    const prefix = rel.slice(0, 2)
    let set = existing.get(prefix)
    if (!set) {
      try {
        set = new Set(readdirSync(`${opts.objectsDir}/${prefix}`))
      } catch {
        set = new Set()
      }
      existing.set(prefix, set)
    }
    return set.has(rel.slice(3))
  }
  const read = (path: string): Buffer => {
    const fd = openSync(path, "r")
    try {
      let n = 0
      for (;;) {
        if (n === buf.length) {
          const next = Buffer.allocUnsafe(buf.length * 2)
          buf.copy(next, 0, 0, n)
          buf = next
        }
        const r = readSync(fd, buf, n, buf.length - n, null)
        if (r === 0) break
        n += r
      }
      return buf.subarray(0, n)
    } finally {
      closeSync(fd)
    }
  }
  return {
    importFile: (job) => {
      const data = isSymlink(job.meta) ? Buffer.alloc(0) : read(job.path)
      const csum = fileChecksum(job.meta, data)
      const rel = loosePath(csum, "file", archive).slice(8)
      if (have(rel)) return { csum, rel, written: false, bytes: 0 }
      const prefix = rel.slice(0, 2)
      if (!madeDirs.has(prefix)) {
        mkdirSync(`${opts.stagingDir}/${prefix}`, { recursive: true, mode: 0o775 })
        madeDirs.add(prefix)
      }
      // Exclusive create: another worker staging identical content makes this a no-op.
      const written = storeContentSync(opts.mode, `${opts.stagingDir}/${rel}`, job.meta, { data }, { exclusive: true })
      return { csum, rel, written, bytes: written ? data.length : 0 }
    },
  }
}
