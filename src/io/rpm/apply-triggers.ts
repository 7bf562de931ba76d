/**
 * What applyPackages does after the packages are in place: simple file triggers, and the check
 * that no scriptlet wrote through a hardlink into the import cache.
 */
import { lstatSync, renameSync, rmSync } from "node:fs"
import { join } from "node:path"
import { files as headerFiles, FILE } from "../../formats/rpm/files.js"
import { string, type Header } from "../../formats/rpm/header.js"
import { T } from "../../formats/rpm/tags.js"
import { fileTriggers, type Script, type ScriptKind } from "./scriptlets.js"

const nameOf = (h: Header): string => string(h, T.NAME) ?? ""

/** Paths a package puts on disk (not %ghost), as file triggers see them. */
export const newPathsOf = (h: Header): string[] => headerFiles(h).filter((f) => !(f.flags & FILE.GHOST)).map((f) => f.path)

/**
 * Simple file triggers: each %filetriggerin / %transfiletriggerin of a package installed after
 * the transaction runs once, higher priority first, with the matching paths on stdin (one per
 * line, in install order) and $1 = 0 as rpm 4.18 passes it. A trigger of a package that was already
 * installed sees the paths this transaction installed; a trigger installed by this transaction
 * sees every matching path installed after it, as rpm runs a new trigger on the files already
 * there.
 */
export const fireFileTriggers = async ({ installedAfter, newPaths, newPackages, run }: {
  installedAfter: ReadonlyArray<Header>
  newPaths: ReadonlyArray<string>
  /** The headers installedAfter got in this transaction. */
  newPackages: ReadonlySet<Header>
  run: (h: Header, kind: ScriptKind, args: number[], script: Script, stdin: string) => Promise<void>
}): Promise<void> => {
  // install order, each package's paths in header order: the order rpm hands them over
  const fresh = [...new Set(newPaths)]
  let everything: string[] | undefined
  const allPaths = (): string[] => (everything ??= [...new Set(installedAfter.flatMap(newPathsOf))])
  const due: Array<{ h: Header; priority: number; script: Script; paths: string[] }> = []
  for (const trans of [false, true]) {
    for (const h of installedAfter) {
      // group the prefixes of one script: it runs once with all of their matches
      const byScript = new Map<string, { priority: number; script: Script; paths: Set<string> }>()
      for (const t of fileTriggers(h, trans)) {
        const key = `${t.script.prog.join(" ")}\0${t.script.body}`
        const g = byScript.get(key) ?? { priority: t.priority, script: t.script, paths: new Set<string>() }
        // rpm hands a transaction trigger the files below its prefix, not the prefix directory itself
        const under = t.prefix.endsWith("/") ? t.prefix : `${t.prefix}/`
        for (const p of newPackages.has(h) ? allPaths() : fresh) if ((p === t.prefix && !trans) || p.startsWith(under)) g.paths.add(p)
        byScript.set(key, g)
      }
      for (const g of byScript.values()) if (g.paths.size) due.push({ h, priority: g.priority, script: g.script, paths: [...g.paths] })
    }
  }
  due.sort((a, b) => Number(a.script.kind === "transfiletriggerin") - Number(b.script.kind === "transfiletriggerin") || b.priority - a.priority || (nameOf(a.h) < nameOf(b.h) ? -1 : nameOf(a.h) > nameOf(b.h) ? 1 : 0))
  for (const d of due) await run(d.h, d.script.kind, [0], d.script, d.paths.join("\n") + "\n")
}

export interface LinkedFile {
  /** Its path in the root. */
  readonly dst: string
  readonly ino: number
  readonly size: number
  readonly mtimeMs: number
  /** The import cache entry it came from. */
  readonly entry: string
}

/**
 * A script that wrote into a hardlinked file wrote into the import cache (and every other tree
 * linked to it). The root keeps what the script wrote; the cache entry is dropped, so the next
 * import unpacks the package afresh.
 */
export const checkLinked = (linked: ReadonlyArray<LinkedFile>, cacheDir: string, warnings: string[]): void => {
  const bad = new Map<string, string>()
  for (const l of linked) {
    const st = lstatSync(l.dst, { throwIfNoEntry: false })
    // replaced (new inode) or removed: the cache file was not touched through this name
    if (!st || st.ino !== l.ino) continue
    if (st.size !== l.size || st.mtimeMs !== l.mtimeMs) bad.set(l.entry, l.dst)
  }
  for (const [entry, dst] of bad) {
    const trash = join(cacheDir, `.trash-${process.pid}-${Date.now()}-${entry.split("/").pop()}`)
    try {
      renameSync(entry, trash)
      rmSync(trash, { recursive: true, force: true })
    } catch {
      // already dropped by a concurrent apply
    }
    warnings.push(`a scriptlet modified ${dst} in place; its import cache entry was dropped`)
  }
}
