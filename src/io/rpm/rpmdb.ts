/**
 * The sqlite rpmdb (rpm ≥ 4.16): a `Packages` table of installed header blobs (the package
 * header's immutable region unchanged, plus install-time tags after it) and one index table per
 * indexed tag (`key, hnum, idx`), laid out as rpm's sqlite backend creates them, so `rpm --dbpath`
 * reads a strata tree and strata reads a tree written by rpm or dnf.
 *
 * SQLite comes from node-sqlite3-wasm (no native compile; see the closing note of issue 5 for the
 * measurement). Its VFS has no shared memory, so every connection uses exclusive locking mode,
 * which lets SQLite read rpm's WAL-mode databases with an in-heap WAL index.
 */
import { createRequire } from "node:module"
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync } from "node:fs"
import { dirname, join } from "node:path"
import { parseHeader, strings, numbers, binary, string, type Header } from "../../formats/rpm/header.js"
import { appendToRegion, type WriteEntry } from "../../formats/rpm/header-write.js"
import { richIndexNames } from "../../formats/rpm/rich.js"
import { BIN, CHAR, HEADERIMMUTABLE, INT32, SIG, STRING, T } from "../../formats/rpm/tags.js"
import type { PackageFront } from "../../formats/rpm/package.js"
import { RpmError } from "./error.js"

const require = createRequire(import.meta.url)
type Database = import("node-sqlite3-wasm").Database

/** Where a tree keeps its rpmdb: rpm-ostree's location first, then the classic one. */
export const RPMDB_PATHS = ["usr/share/rpm/rpmdb.sqlite", "var/lib/rpm/rpmdb.sqlite"] as const

export const findRpmdb = (root: string): string | undefined => RPMDB_PATHS.map((p) => join(root, p)).find((p) => existsSync(p))

const open = (path: string, readOnly: boolean): Database => {
  const { Database } = require("node-sqlite3-wasm") as typeof import("node-sqlite3-wasm")
  try {
    const db = new Database(path, { readOnly })
    db.exec("PRAGMA locking_mode = EXCLUSIVE")
    return db
  } catch (e) {
    throw new RpmError({ op: "rpmdb open", path, reason: existsSync(path) ? "Corrupt" : "NotFound", detail: (e as Error).message })
  }
}

export interface InstalledPackage {
  readonly hnum: number
  readonly header: Header
}

/** Every installed header, in install (hnum) order. */
export const readRpmdb = (path: string): InstalledPackage[] => {
  if (!existsSync(path)) throw new RpmError({ op: "rpmdb read", path, reason: "NotFound", detail: "no rpmdb here" })
  const db = open(path, true)
  try {
    const rows = db.all("SELECT hnum, blob FROM Packages ORDER BY hnum") as Array<{ hnum: number; blob: Uint8Array }>
    return rows.map((r) => {
      try {
        return { hnum: r.hnum, header: parseHeader(Buffer.from(r.blob), { magic: false, regionTag: HEADERIMMUTABLE, exact: false }).header }
      } catch (e) {
        throw new RpmError({ op: "rpmdb read", path, reason: "Corrupt", detail: `header #${r.hnum}: ${(e as Error).message}` })
      }
    })
  } catch (e) {
    if (e instanceof RpmError) throw e
    throw new RpmError({ op: "rpmdb read", path, reason: "Corrupt", detail: (e as Error).message })
  } finally {
    db.close()
  }
}

// Index tables in the order rpm creates them, with the key column type rpm gives each.
const INDEXES: ReadonlyArray<readonly [string, number, "TEXT" | "BLOB"]> = [
  ["Name", T.NAME, "TEXT"], ["Basenames", T.BASENAMES, "TEXT"], ["Group", T.GROUP, "TEXT"], ["Requirename", T.REQUIRENAME, "TEXT"],
  ["Providename", T.PROVIDENAME, "TEXT"], ["Conflictname", T.CONFLICTNAME, "TEXT"], ["Obsoletename", T.OBSOLETENAME, "TEXT"],
  ["Triggername", T.TRIGGERNAME, "TEXT"], ["Dirnames", T.DIRNAMES, "TEXT"], ["Installtid", T.INSTALLTID, "BLOB"],
  ["Sigmd5", T.SIGMD5, "BLOB"], ["Sha1header", T.SHA1HEADER, "TEXT"], ["Filetriggername", T.FILETRIGGERNAME, "TEXT"],
  ["Transfiletriggername", T.TRANSFILETRIGGERNAME, "TEXT"], ["Recommendname", T.RECOMMENDNAME, "TEXT"],
  ["Suggestname", T.SUGGESTNAME, "TEXT"], ["Supplementname", T.SUPPLEMENTNAME, "TEXT"], ["Enhancename", T.ENHANCENAME, "TEXT"],
]
// rpm creates no key index on these three, and no hnum index on Name/Group/Installtid/Sigmd5/Sha1header.
const NO_KEY_INDEX = new Set(["Installtid", "Sigmd5"])
const NO_HNUM_INDEX = new Set(["Name", "Group", "Installtid", "Sigmd5", "Sha1header"])
const RICH_INDEXED = new Set<number>([T.REQUIRENAME, T.CONFLICTNAME, T.SUGGESTNAME, T.SUPPLEMENTNAME, T.RECOMMENDNAME, T.ENHANCENAME])

const createSchema = (db: Database): void => {
  db.exec("CREATE TABLE IF NOT EXISTS 'Packages' (hnum INTEGER PRIMARY KEY AUTOINCREMENT,blob BLOB NOT NULL)")
  for (const [name, , type] of INDEXES) {
    db.exec(`CREATE TABLE IF NOT EXISTS '${name}' (key '${type}' NOT NULL, hnum INTEGER NOT NULL, idx INTEGER NOT NULL, FOREIGN KEY (hnum) REFERENCES 'Packages'(hnum))`)
    if (!NO_KEY_INDEX.has(name)) db.exec(`CREATE INDEX IF NOT EXISTS '${name}_key_idx' ON '${name}'(key ASC)`)
    if (!NO_HNUM_INDEX.has(name)) db.exec(`CREATE INDEX IF NOT EXISTS '${name}_hnum_idx' ON '${name}'(hnum ASC)`)
  }
}

// RPMSENSE bits for rpm's isTransientReq: install-only prerequisites are not indexed.
const PREREQ = 1 << 6
const INSTALL_ONLY = ((1 << 9) | (1 << 10) | (1 << 24) | (1 << 26) | (1 << 7) | (1 << 5)) & ~PREREQ
const ERASE_ONLY = ((1 << 11) | (1 << 12)) & ~PREREQ
const transient = (flags: number): boolean => (flags & INSTALL_ONLY) !== 0 && (flags & ERASE_ONLY) === 0

/** The (key, idx) rows rpm's tag2index writes for one tag of one header. */
const indexRows = (h: Header, tag: number): Array<[string | Uint8Array, number]> => {
  const rows: Array<[string | Uint8Array, number]> = []
  if (tag === T.INSTALLTID) {
    const tid = numbers(h, tag)
    tid.forEach((v, i) => {
      const b = Buffer.alloc(4)
      b.writeUInt32LE(v) // rpm keys integers in host byte order
      rows.push([b, i])
    })
    return rows
  }
  if (tag === T.SIGMD5) {
    const b = binary(h, tag)
    if (b) rows.push([Buffer.from(b), 0])
    return rows
  }
  let values = strings(h, tag)
  if (values.length === 0 && tag === T.GROUP) values = ["Unknown"]
  const flags = tag === T.REQUIRENAME ? numbers(h, T.REQUIREFLAGS) : []
  const trigIndex = tag === T.FILETRIGGERNAME ? numbers(h, T.FILETRIGGERINDEX) : tag === T.TRANSFILETRIGGERNAME ? numbers(h, T.TRANSFILETRIGGERINDEX) : []
  values.forEach((v, i) => {
    if (tag === T.REQUIRENAME && transient(flags[i] ?? 0)) return
    if (tag === T.TRIGGERNAME && values.indexOf(v) < i) return
    const idx = trigIndex.length ? trigIndex[i] ?? i : i
    rows.push([v, idx])
    if (v.startsWith("(") && RICH_INDEXED.has(tag)) {
      try {
        for (const n of richIndexNames(v)) rows.push([n, idx])
      } catch {
        // rpm indexes the whole string even when it cannot parse it
      }
    }
  })
  return rows
}

/** The installed form of a package header: region untouched, rpm's install-time tags appended. */
export const installedHeaderBlob = ({ front, installTime, tid }: { front: PackageFront; installTime: number; tid: number }): Buffer => {
  const s = front.signature
  const extra: WriteEntry[] = []
  const size = numbers(s, SIG.SIZE)[0]
  if (size !== undefined) extra.push({ tag: T.SIGSIZE, type: INT32, value: [size] })
  const md5 = binary(s, SIG.MD5)
  if (md5) extra.push({ tag: T.SIGMD5, type: BIN, value: md5 })
  for (const [from, to] of [[SIG.RSA, T.RSAHEADER], [SIG.DSA, T.DSAHEADER]] as const) {
    const b = binary(s, from)
    if (b) extra.push({ tag: to, type: BIN, value: b })
  }
  const sha1 = string(s, SIG.SHA1)
  if (sha1) extra.push({ tag: T.SHA1HEADER, type: STRING, value: sha1 })
  const sha256 = string(s, SIG.SHA256)
  if (sha256) extra.push({ tag: T.SHA256HEADER, type: STRING, value: sha256 })
  const archive = numbers(s, SIG.PAYLOADSIZE)[0]
  if (archive !== undefined) extra.push({ tag: T.ARCHIVESIZE, type: INT32, value: [archive] })
  extra.push({ tag: T.INSTALLTIME, type: INT32, value: [installTime] })
  const nfiles = strings(front.header, T.BASENAMES).length
  if (nfiles) extra.push({ tag: T.FILESTATES, type: CHAR, value: new Array<number>(nfiles).fill(0) })
  extra.push({ tag: T.INSTALLCOLOR, type: INT32, value: [0] })
  extra.push({ tag: T.INSTALLTID, type: INT32, value: [tid] })
  return appendToRegion({ header: front.header, extra })
}

/**
 * Adds packages to the rpmdb at `path` (created when missing). A new database is built beside
 * the old one and renamed over it, so a failure leaves the previous rpmdb as it was.
 */
export const addToRpmdb = ({ path, packages, installTime, tid }: {
  path: string
  packages: ReadonlyArray<PackageFront>
  installTime?: number
  tid?: number
}): { added: number } => {
  const r = updateRpmdb({ path, add: packages, installTime, tid })
  return { added: r.added }
}

/** Removes the packages with these header numbers (as readRpmdb reports them), the same way. */
export const removeFromRpmdb = ({ path, hnums }: { path: string; hnums: ReadonlyArray<number> }): { removed: number } => {
  const r = updateRpmdb({ path, remove: hnums })
  return { removed: r.removed }
}

/**
 * One update for a whole transaction: drops the headers numbered `remove`, appends `add` (new
 * hnums after every earlier one, as rpm's AUTOINCREMENT gives). The database is copied beside
 * itself (with rpm's WAL, if any), changed in one SQLite transaction and renamed over the old
 * one: a failure leaves the previous rpmdb as it was, and a database hardlinked elsewhere (an
 * ostree checkout's objects) is never written through.
 */
export const updateRpmdb = ({ path, remove = [], add = [], installTime = Math.floor(Date.now() / 1000), tid = installTime }: {
  path: string
  remove?: ReadonlyArray<number>
  add?: ReadonlyArray<PackageFront>
  installTime?: number | undefined
  tid?: number | undefined
}): { added: number; removed: number } => {
  mkdirSync(dirname(path), { recursive: true })
  const tmp = `${path}.strata-new-${process.pid}`
  for (const f of [tmp, `${tmp}-wal`, `${tmp}-journal`]) rmSync(f, { force: true })
  if (existsSync(path)) {
    copyFileSync(path, tmp)
    if (existsSync(`${path}-wal`)) copyFileSync(`${path}-wal`, `${tmp}-wal`)
  }
  const db = open(tmp, false)
  try {
    // folds a copied WAL into the file; strata's databases need no WAL (rpm turns it back on)
    db.exec("PRAGMA journal_mode = DELETE")
    // The copy is private until renamed, and discarded on failure: no rollback journal and no
    // fsync needed (they were most of a small transaction's time). Whoever makes the tree
    // durable (an ostree commit) syncs it then.
    db.exec("PRAGMA journal_mode = OFF")
    db.exec("PRAGMA synchronous = OFF")
    createSchema(db)
    db.exec("BEGIN")
    let removed = 0
    for (const hnum of new Set(remove)) {
      for (const [name] of INDEXES) db.run(`DELETE FROM '${name}' WHERE hnum = ?`, [hnum])
      removed += db.run("DELETE FROM 'Packages' WHERE hnum = ?", [hnum]).changes
    }
    const insPkg = db.prepare("INSERT INTO 'Packages' (blob) VALUES(?)")
    const ins = new Map(INDEXES.map(([name]) => [name, db.prepare(`INSERT INTO '${name}' VALUES(?, ?, ?)`)]))
    for (const front of add) {
      const blob = installedHeaderBlob({ front, installTime, tid })
      const h = parseHeader(blob, { magic: false, exact: false }).header
      const hnum = Number(insPkg.run([blob]).lastInsertRowid)
      for (const [name, tag] of INDEXES) for (const [key, idx] of indexRows(h, tag)) ins.get(name)!.run([key, hnum, idx])
    }
    db.exec("COMMIT")
    insPkg.finalize()
    for (const s of ins.values()) s.finalize()
    db.close()
    // rpm's WAL and shared-memory files belong to the database being replaced
    rmSync(`${path}-wal`, { force: true })
    rmSync(`${path}-shm`, { force: true })
    renameSync(tmp, path)
    return { added: add.length, removed }
  } catch (e) {
    try {
      db.close()
    } catch {
      // already closed
    }
    for (const f of [tmp, `${tmp}-wal`, `${tmp}-journal`]) rmSync(f, { force: true })
    throw e instanceof RpmError ? e : new RpmError({ op: "rpmdb write", path, reason: "Io", detail: (e as Error).message })
  }
}
