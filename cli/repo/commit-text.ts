/** How ostree prints objects (ot-dump.c), shared by `show` and `log`. */
import { byteswap, lookup, parse, printVariant } from "../../src/formats/gvariant/index.js"
import { commitContentChecksum, type Checksum, type Commit, type ObjectType } from "../../src/formats/ostree/index.js"
import { METADATA_TYPES } from "../../src/io/repo/show.js"
import { formatCommitDate } from "../../src/lib/glib-format.js"

/** Each line of `text` indented by four spaces; a final unterminated empty line is dropped. */
const indented = (text: string): string =>
  text
    .split(/(?<=\n)/)
    .filter((seg) => seg !== "")
    .map((seg) => `    ${seg}${seg.endsWith("\n") ? "" : "\n"}`)
    .join("")

/** `commit X`, Parent, ContentChecksum, Date, Version, then the indented subject and body. */
export const formatCommit = (csum: Checksum, c: Commit): string => {
  let out = `commit ${csum}\n`
  if (c.parent) out += `Parent:  ${c.parent}\n`
  out += `ContentChecksum:  ${commitContentChecksum(c)}\n`
  out += `Date:  ${formatCommitDate(c.timestamp)}\n`
  const version = lookup(c.metadata, "version")
  if (version?.type === "s") out += `Version: ${version.value as string}\n`
  out += c.subject ? `\n${indented(c.subject)}` : "(no subject)\n"
  if (c.body) out += `\n${indented(c.body)}`
  return out + "\n"
}

/**
 * A value as ostree's `--raw` and `--print-*-key` print it: byte-swapped (ostree assumes the
 * stored form is big-endian) unless `noByteswap`, then g_variant_print with types.
 */
export const formatRawValue = (type: string, value: unknown, noByteswap = false): string =>
  printVariant(type, noByteswap ? value : byteswap(type, value), true)

export const formatRawObject = (type: ObjectType, csum: Checksum, bytes: Uint8Array, noByteswap = false): string => {
  const t = METADATA_TYPES[type]!
  return `${type} ${csum}\n${formatRawValue(t, parse(t, bytes), noByteswap)}\n`
}
