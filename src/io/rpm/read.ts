/**
 * Opens an RPM file and parses its front (lead, signature header, header) by reading only as
 * many bytes as the headers declare — never the payload.
 */
import { openSync, readSync, closeSync, fstatSync } from "node:fs"
import { packageFrontLength, parsePackageFront, type PackageFront } from "../../formats/rpm/package.js"
import { corrupt } from "../../formats/rpm/error.js"

export interface PackageFile extends PackageFront {
  readonly path: string
  /** File size in bytes. */
  readonly size: number
}

/** Reads and validates the front of the RPM at `path` (throws RpmFormatError / system errors). */
export const readPackageFront = (path: string): PackageFile => {
  const fd = openSync(path, "r")
  try {
    const size = fstatSync(fd).size
    let buf = Buffer.alloc(Math.min(size, 64 * 1024))
    let have = readSync(fd, buf, 0, buf.length, 0)
    for (;;) {
      const need = packageFrontLength(buf.subarray(0, have))
      if (need <= have) break
      if (need > size) break // parse reports the truncation precisely
      if (need > buf.length) {
        const bigger = Buffer.alloc(need)
        buf.copy(bigger, 0, 0, have)
        buf = bigger
      }
      const n = readSync(fd, buf, have, need - have, have)
      if (n === 0) break
      have += n
    }
    const front = parsePackageFront(buf.subarray(0, have))
    if (front.payloadOffset > size) throw corrupt("file", "truncated before the payload")
    return { ...front, path, size }
  } finally {
    closeSync(fd)
  }
}
