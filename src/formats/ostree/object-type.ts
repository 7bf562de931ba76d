/** Object types and their loose-object file names (ostree-core.c; FORMATS.md §1). */
import type { Checksum } from "./checksum.js"

export type ObjectType =
  | "file" | "dirtree" | "dirmeta" | "commit" | "tombstone-commit" | "commitmeta"
  | "payload-link" | "file-xattrs" | "file-xattrs-link"

export const objectTypeCode: Record<ObjectType, number> = {
  file: 1, dirtree: 2, dirmeta: 3, commit: 4, "tombstone-commit": 5, commitmeta: 6,
  "payload-link": 7, "file-xattrs": 8, "file-xattrs-link": 9,
}

export const objectTypeOfCode = (n: number): ObjectType | undefined =>
  (Object.keys(objectTypeCode) as ObjectType[]).find((k) => objectTypeCode[k] === n)

export const isMetadataType = (t: ObjectType): boolean => t !== "file"

/** `objects/XX/REST.ext`; content in archive repos is `.filez`. Built with templates: this is a hot path. */
export const loosePath = (csum: Checksum, type: ObjectType, archive: boolean): string =>
  `objects/${csum.slice(0, 2)}/${csum.slice(2)}.${type === "file" ? (archive ? "filez" : "file") : type}`

/** Parses `CHECKSUM.TYPE` (ostree's object name form, as `fsck` and `ls-objects` print it). */
export const parseObjectName = (name: string): { csum: Checksum; type: ObjectType } | undefined => {
  const dot = name.indexOf(".")
  if (dot !== 64) return undefined
  const ext = name.slice(65)
  const type = ext === "filez" ? "file" : (ext as ObjectType)
  if (!(type in objectTypeCode)) return undefined
  return { csum: name.slice(0, 64), type }
}
