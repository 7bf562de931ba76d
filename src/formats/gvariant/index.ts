export { GVariantError } from "./error.js"
export { parseType, type GType } from "./type.js"
export { serialize, offsetWidth, type SerializeOptions } from "./serialize.js"
export { parse, type ParseOptions } from "./parse.js"
export { variant, isVariant, lookup, bswap32, bswap64, type Variant, type VarDict } from "./value.js"

import { parse } from "./parse.js"
import { serialize } from "./serialize.js"
import { parseType } from "./type.js"

/** True when `bytes` is the normal-form serialisation of some value of `type` (what ostree hashes). */
export const isNormalForm = (type: string, bytes: Uint8Array): boolean => {
  try {
    const again = serialize(parseType(type), parse(type, bytes))
    return again.length === bytes.length && Buffer.compare(again, bytes) === 0
  } catch {
    return false
  }
}
export { printVariant, byteswap, formatDouble } from "./print.js"
export { glibDict, glibDictOrder } from "./dict-order.js"
export { parseVariantText } from "./parse-text.js"
