/**
 * Writes a minimal but complete binary RPM (lead, signature header with header SHA-256 and sizes,
 * main header with file list and payload digest, gzip'd newc payload) from a file list. rpm
 * accepts what this writes; tests use it to build packages rpmbuild refuses to (hostile paths,
 * lying sizes, bombs) and to pass a custom archive in place of the honest one.
 */
import { createHash } from "node:crypto"
import { gzipSync } from "node:zlib"
import { buildHeader, type WriteEntry } from "./header-write.js"
import { newcArchive } from "./cpio.js"
import { serializeLead } from "./lead.js"
import { BIN, HEADERSIGNATURES, INT16, INT32, STRING, STRING_ARRAY, T, SIG } from "./tags.js"
import { S_IFLNK, S_IFMT, S_IFREG } from "./files.js"

export interface WriteFile {
  readonly path: string
  /** Full st_mode (type bits included). */
  readonly mode: number
  readonly data?: Uint8Array
  readonly linkto?: string
  readonly user?: string
  readonly group?: string
  readonly flags?: number
  readonly caps?: string
}

export interface WritePackage {
  readonly name: string
  readonly version?: string
  readonly release?: string
  readonly files: ReadonlyArray<WriteFile>
  /** Replaces the honest cpio archive (before compression). */
  readonly archive?: Buffer
  /** Replaces the compressed payload altogether. */
  readonly payload?: Buffer
  readonly extra?: ReadonlyArray<WriteEntry>
  /** Replaces the uncompressed payload size the signature header declares. */
  readonly payloadSize?: number
  /** PAYLOADCOMPRESSOR and the function that compresses the archive (default gzip). */
  readonly compressor?: { readonly name: string; readonly compress: (archive: Buffer) => Buffer }
}

export const writePackage = (p: WritePackage): Buffer => {
  const { name, version = "1.0", release = "1", files } = p
  const dirs: string[] = []
  const dirIndex = files.map((f) => {
    const d = f.path.slice(0, f.path.lastIndexOf("/") + 1)
    let i = dirs.indexOf(d)
    if (i < 0) i = dirs.push(d) - 1
    return i
  })
  const content = files.map((f) => ((f.mode & S_IFMT) === S_IFLNK ? Buffer.from(f.linkto ?? "") : Buffer.from(f.data ?? new Uint8Array(0))))
  const archive = p.archive ?? newcArchive(files.map((f, i) => ({ name: "." + f.path, mode: f.mode, data: content[i], ino: i + 1, nlink: 1 })))
  const payload = p.payload ?? (p.compressor ? p.compressor.compress(archive) : gzipSync(archive))
  const entries: WriteEntry[] = [
    { tag: T.NAME, type: STRING, value: name },
    { tag: T.VERSION, type: STRING, value: version },
    { tag: T.RELEASE, type: STRING, value: release },
    { tag: T.SUMMARY, type: STRING, value: `${name} test package` },
    { tag: T.LICENSE, type: STRING, value: "MIT" },
    { tag: T.OS, type: STRING, value: "linux" },
    { tag: T.ARCH, type: STRING, value: "noarch" },
    { tag: T.SOURCERPM, type: STRING, value: `${name}-${version}-${release}.src.rpm` },
    { tag: T.PAYLOADFORMAT, type: STRING, value: "cpio" },
    { tag: T.PAYLOADCOMPRESSOR, type: STRING, value: p.compressor?.name ?? "gzip" },
    { tag: T.PAYLOADFLAGS, type: STRING, value: "9" },
    { tag: T.PAYLOADSHA256, type: STRING_ARRAY, value: [createHash("sha256").update(payload).digest("hex")] },
    { tag: T.PAYLOADSHA256ALGO, type: INT32, value: [8] },
    { tag: T.PROVIDENAME, type: STRING_ARRAY, value: [name] },
    { tag: T.PROVIDEFLAGS, type: INT32, value: [8] },
    { tag: T.PROVIDEVERSION, type: STRING_ARRAY, value: [`${version}-${release}`] },
    ...(p.extra ?? []),
  ]
  if (files.length) {
    entries.push(
      { tag: T.BASENAMES, type: STRING_ARRAY, value: files.map((f) => f.path.slice(f.path.lastIndexOf("/") + 1)) },
      { tag: T.DIRNAMES, type: STRING_ARRAY, value: dirs },
      { tag: T.DIRINDEXES, type: INT32, value: dirIndex },
      { tag: T.FILEMODES, type: INT16, value: files.map((f) => f.mode) },
      { tag: T.FILESIZES, type: INT32, value: content.map((c) => c.length) },
      { tag: T.FILEMTIMES, type: INT32, value: files.map(() => 1700000000) },
      { tag: T.FILEDIGESTS, type: STRING_ARRAY, value: files.map((f, i) => ((f.mode & S_IFMT) === S_IFREG ? createHash("sha256").update(content[i]!).digest("hex") : "")) },
      { tag: T.FILEDIGESTALGO, type: INT32, value: [8] },
      { tag: T.FILELINKTOS, type: STRING_ARRAY, value: files.map((f) => f.linkto ?? "") },
      { tag: T.FILEFLAGS, type: INT32, value: files.map((f) => f.flags ?? 0) },
      { tag: T.FILEUSERNAME, type: STRING_ARRAY, value: files.map((f) => f.user ?? "root") },
      { tag: T.FILEGROUPNAME, type: STRING_ARRAY, value: files.map((f) => f.group ?? "root") },
      { tag: T.FILEINODES, type: INT32, value: files.map((_, i) => i + 1) },
      { tag: T.FILEDEVICES, type: INT32, value: files.map(() => 1) },
      { tag: T.FILERDEVS, type: INT16, value: files.map(() => 0) },
    )
    if (files.some((f) => f.caps)) entries.push({ tag: T.FILECAPS, type: STRING_ARRAY, value: files.map((f) => f.caps ?? "") })
  }
  const header = buildHeader({ entries })
  const sig = buildHeader({
    regionTag: HEADERSIGNATURES,
    entries: [
      { tag: SIG.SHA256, type: STRING, value: createHash("sha256").update(header).digest("hex") },
      { tag: SIG.SIZE, type: INT32, value: [header.length + payload.length] },
      { tag: SIG.PAYLOADSIZE, type: INT32, value: [p.payloadSize ?? archive.length] },
      { tag: SIG.MD5, type: BIN, value: createHash("md5").update(header).update(payload).digest() },
    ],
  })
  const pad = Buffer.alloc((8 - (sig.length % 8)) % 8)
  return Buffer.concat([serializeLead({ name: `${name}-${version}-${release}` }), sig, pad, header, payload])
}
