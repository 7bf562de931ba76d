/**
 * Kernel arguments as ostree models them (ostree-kernel-args.c): an ordered list of `key` or
 * `key=value` entries, split on single spaces, where a key may repeat. Pure functions on strings;
 * the edits behave like `ostree admin deploy --karg/--karg-append/--karg-delete`, `ostree admin
 * kargs edit-in-place` and `rpm-ostree kargs --append/--replace/--delete/--append-if-missing/
 * --delete-if-present`, including their error cases.
 */
import { SysrootError } from "./error.js"

export interface Karg {
  readonly key: string
  /** null for a bare `key`; "" for `key=`. */
  readonly value: string | null
}

const split = (arg: string): Karg => {
  const eq = arg.indexOf("=")
  return eq < 0 ? { key: arg, value: null } : { key: arg.slice(0, eq), value: arg.slice(eq + 1) }
}

const fmt = (k: Karg): string => (k.value === null ? k.key : `${k.key}=${k.value}`)

const fail = (detail: string): never => {
  throw new SysrootError({ op: "kargs", reason: "Invalid", code: "InvalidKarg", detail })
}

/** Splits like g_strsplit(options, " "): runs of spaces keep their empty entries, so text round-trips. */
export const parseKargs = (options: string | undefined): Karg[] => (options ? options.split(" ").map(split) : [])

export const formatKargs = (kargs: ReadonlyArray<Karg>): string => kargs.map(fmt).join(" ")

/** The arguments as `key[=value]` strings (ostree_kernel_args_to_strv). */
export const kargsToStrv = (kargs: ReadonlyArray<Karg>): string[] => kargs.map(fmt)

export const kargsContainKey = (kargs: ReadonlyArray<Karg>, arg: string): boolean => {
  const { key } = split(arg)
  return kargs.some((k) => k.key === key)
}

/** The value of the last `key` entry (ostree_kernel_args_get_last_value); undefined if absent. */
export const lastKargValue = (kargs: ReadonlyArray<Karg>, key: string): string | null | undefined => {
  for (let i = kargs.length - 1; i >= 0; i--) if (kargs[i]!.key === key) return kargs[i]!.value
  return undefined
}

/** --karg-append: add an entry at the end, even if the key exists. */
export const appendKarg = (kargs: ReadonlyArray<Karg>, arg: string): Karg[] => [...kargs, split(arg)]

/**
 * --karg / replace_take: every entry of the key collapses into this one, at the position of the
 * key's first entry; a new key goes at the end. This is how `ostree=` is rewritten in place.
 */
export const replaceKarg = (kargs: ReadonlyArray<Karg>, arg: string): Karg[] => {
  const k = split(arg)
  const first = kargs.findIndex((x) => x.key === k.key)
  if (first < 0) return [...kargs, k]
  const out: Karg[] = []
  kargs.forEach((x, i) => {
    if (i === first) out.push(k)
    else if (x.key !== k.key) out.push(x)
  })
  return out
}

/**
 * rpm-ostree --replace / ostree_kernel_args_new_replace: `KEY=VALUE` replaces the only value of
 * KEY; `KEY=OLD=NEW` replaces the entry whose value is OLD.
 */
export const newReplaceKarg = (kargs: ReadonlyArray<Karg>, arg: string): Karg[] => {
  const { key, value } = split(arg)
  const idx = kargs.flatMap((x, i) => (x.key === key ? [i] : []))
  if (idx.length === 0) return fail(`no key '${key}' found`)
  let at: number
  let newValue: string | null = value
  if (value !== null && value.includes("=")) {
    const eq = value.indexOf("=")
    const old = value.slice(0, eq)
    newValue = value.slice(eq + 1)
    const hit = idx.find((i) => kargs[i]!.value === old)
    if (hit === undefined) return fail(`no karg '${key}=${old}' found`)
    at = hit
  } else {
    if (idx.length > 1) return fail(`multiple values for key '${key}' found`)
    at = idx[0]!
  }
  return kargs.map((x, i) => (i === at ? { key, value: newValue } : x))
}

/**
 * --karg-delete / rpm-ostree --delete: `KEY` deletes the key when it has a single entry; with
 * several entries, `KEY=VALUE` (or bare `KEY` matching a valueless entry) picks one.
 */
export const deleteKarg = (kargs: ReadonlyArray<Karg>, arg: string): Karg[] => {
  const { key, value } = split(arg)
  const idx = kargs.flatMap((x, i) => (x.key === key ? [i] : []))
  if (idx.length === 0) return fail(`no key '${key}' found`)
  if (idx.length === 1) {
    if (value !== null && kargs[idx[0]!]!.value !== value) return fail(`no karg '${key}=${value}' found`)
    return kargs.filter((x) => x.key !== key)
  }
  const hit = idx.find((i) => kargs[i]!.value === value)
  if (hit === undefined) return fail(value === null ? `multiple values for key '${arg}' found` : `no karg '${arg}' found`)
  return kargs.filter((_, i) => i !== hit)
}

/** `ostree admin kargs edit-in-place --append-if-missing`: append unless the key is there. */
export const appendKargIfKeyMissing = (kargs: ReadonlyArray<Karg>, arg: string): Karg[] =>
  kargsContainKey(kargs, arg) ? [...kargs] : appendKarg(kargs, arg)

/** Removes every entry of a key, if present (used for `ostree=`). */
export const deleteKargKey = (kargs: ReadonlyArray<Karg>, key: string): Karg[] => kargs.filter((x) => x.key !== key)

export interface KargsEdit {
  readonly delete?: ReadonlyArray<string>
  readonly replace?: ReadonlyArray<string>
  readonly append?: ReadonlyArray<string>
  /** Appended unless an identical `key=value` is already there. */
  readonly appendIfMissing?: ReadonlyArray<string>
  /** Deleted if an identical `key=value` was there before the edit. */
  readonly deleteIfPresent?: ReadonlyArray<string>
}

/**
 * rpm-ostree kargs' patching order: delete, replace, append, append-if-missing,
 * delete-if-present. Returns the new options string; throws SysrootError(InvalidKarg) and
 * changes nothing on a bad edit.
 */
export const editKargs = (options: string, edit: KargsEdit): string => {
  const existing = kargsToStrv(parseKargs(options))
  let k = parseKargs(options)
  for (const a of edit.delete ?? []) k = deleteKarg(k, a)
  for (const a of edit.replace ?? []) k = newReplaceKarg(k, a)
  for (const a of edit.append ?? []) k = appendKarg(k, a)
  for (const a of edit.appendIfMissing ?? []) if (!kargsToStrv(k).includes(a)) k = appendKarg(k, a)
  for (const a of edit.deleteIfPresent ?? []) if (existing.includes(a)) k = deleteKarg(k, a)
  return formatKargs(k)
}

/** The options without `ostree=`: what decides whether two deployments boot alike. */
export const kargsWithoutOstree = (options: string): string => formatKargs(deleteKargKey(parseKargs(options), "ostree"))
