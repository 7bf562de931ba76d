/**
 * The native xattr binding (@napi-rs/xattr), loaded on first use. Loading it costs ~20 ms of CPU
 * at start-up (CommonJS loader + dlopen); a hardlink checkout of a plain tree, `ls`, `show` or
 * `rev-parse` never touch an xattr and should not pay for it.
 */
import { createRequire } from "node:module"

type Xattr = typeof import("@napi-rs/xattr")
let binding: Xattr | undefined

export const xattrBinding = (): Xattr => (binding ??= createRequire(import.meta.url)("@napi-rs/xattr") as Xattr)
