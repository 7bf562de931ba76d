/** `strata repo sign [--verify] --sign-type=ed25519 [--keys-file=F] COMMIT [KEY...]` (ot-builtin-sign.c). */
import { loadSecretKeys, checkSignType, signCommit, verifyCommit } from "../../src/io/remote/sign.js"
import { revParse } from "../../src/io/repo/rev.js"
import { flag, str, type Command } from "../command.js"
import { positional, repoOption, useRepo } from "./common.js"

export const signCommand: Command = {
  path: ["repo", "sign"],
  summary: "Sign a commit",
  usage: "[--verify] [--sign-type=ed25519] [--keys-file=FILE] COMMIT [KEY-ID...]",
  options: { ...repoOption, verify: { type: "boolean" }, "sign-type": { type: "string", short: "s" }, "keys-file": { type: "string" }, sysroot: { type: "string" } },
  run: async (args) => {
    checkSignType(str(args.values["sign-type"]) ?? "ed25519")
    const repo = await useRepo(args)
    const commit = await revParse(repo, positional(args, 0, "sign", "COMMIT"))
    const keys = args.positionals.slice(1)
    const keysFile = str(args.values["keys-file"])
    if (flag(args.values.verify)) {
      const key = await verifyCommit({ repo, commit, publicKeys: keys, keysFile, sysroot: str(args.values.sysroot) })
      return `Signature verified successfully with key '${key}'`
    }
    await signCommit({ repo, commit, secretKeys: await loadSecretKeys({ keys, keysFile }) })
  },
}

/** `strata repo gpg-sign [--delete] [--gpg-homedir=DIR] COMMIT KEY-ID...` (ot-builtin-gpg-sign.c). */
export const gpgSignCommand: Command = {
  path: ["repo", "gpg-sign"],
  summary: "Sign a commit with GnuPG keys",
  usage: "[--delete] [--gpg-homedir=DIR] COMMIT KEY-ID...",
  options: { ...repoOption, delete: { type: "boolean", short: "d" }, "gpg-homedir": { type: "string" } },
  run: async (args) => {
    const repo = await useRepo(args)
    const commit = await revParse(repo, positional(args, 0, "gpg-sign", "COMMIT"))
    positional(args, 1, "gpg-sign", "KEY-ID")
    const keyIds = args.positionals.slice(1)
    const { gpgDeleteSignatures, gpgSignCommit } = await import("../../src/io/remote/gpg-sign.js")
    if (flag(args.values.delete)) return `Signatures deleted: ${await gpgDeleteSignatures({ repo, commit, keyIds })}`
    const homedir = str(args.values["gpg-homedir"])
    await gpgSignCommit({ repo, commit, keyIds, ...(homedir !== undefined ? { homedir } : {}) })
  },
}
