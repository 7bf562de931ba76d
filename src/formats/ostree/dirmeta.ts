/** Dirmeta objects `(uuua(ayay))`: uid, gid, mode big-endian, then sorted xattrs (FORMATS.md §2.3). */
import { bswap32, parse, serialize } from "../gvariant/index.js"
import { invalid } from "./error.js"
import { validateXattrs, type Xattrs } from "./xattrs.js"

export const DIRMETA_TYPE = "(uuua(ayay))"
export const S_IFMT = 0o170000
export const S_IFDIR = 0o040000
export const S_IFREG = 0o100000
export const S_IFLNK = 0o120000

export interface Dirmeta {
  readonly uid: number
  readonly gid: number
  /** S_IFDIR plus permission bits. */
  readonly mode: number
  readonly xattrs: Xattrs
}

export const serializeDirmeta = (m: Dirmeta): Uint8Array =>
  serialize(DIRMETA_TYPE, [bswap32(m.uid), bswap32(m.gid), bswap32(m.mode), m.xattrs])

export const parseDirmeta = (bytes: Uint8Array): Dirmeta => {
  let v: [number, number, number, Xattrs]
  try {
    v = parse(DIRMETA_TYPE, bytes) as typeof v
  } catch (e) {
    throw invalid("dirmeta", (e as Error).message)
  }
  const mode = bswap32(v[2])
  if ((mode & S_IFMT) !== S_IFDIR || (mode & ~(S_IFMT | 0o7777)) !== 0) {
    throw invalid("dirmeta", `mode ${mode.toString(8)} is not a directory mode`)
  }
  validateXattrs(v[3])
  return { uid: bswap32(v[0]), gid: bswap32(v[1]), mode, xattrs: v[3] }
}
