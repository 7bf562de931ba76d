/**
 * `remote gpg-import` (ostree-repo.c ostree_repo_remote_gpg_import): add OpenPGP public keys to
 * the remote's keyring `<repo>/<remote>.trustedkeys.gpg`, merging with the keys already there.
 * `keyIds` (fingerprints or key ids, hex) limits the import to those keys.
 */
import { readFile, rename, writeFile } from "node:fs/promises"
import { join } from "node:path"
import type { Key } from "openpgp"
import { RemoteError } from "./error.js"
import { getRemote, type RemoteContext } from "./remote-config.js"
import { readKeyring, writeKeyring } from "./sign-openpgp.js"

export const keyringPath = (repoPath: string, remote: string): string => join(repoPath, `${remote}.trustedkeys.gpg`)

const matches = (k: Key, id: string): boolean => {
  const want = id.toLowerCase().replace(/^0x/, "")
  return [k, ...k.getSubkeys()].some((x) => x.getFingerprint().toLowerCase().endsWith(want) || x.getKeyID().toHex().toLowerCase() === want)
}

export const gpgImport = async (ctx: RemoteContext, opts: { remote: string; keys: Uint8Array; keyIds?: ReadonlyArray<string> }): Promise<number> => {
  await getRemote(ctx, opts.remote)
  let incoming = await readKeyring(opts.keys)
  if (opts.keyIds?.length) {
    for (const id of opts.keyIds) {
      if (!incoming.some((k) => matches(k, id))) throw new RemoteError({ op: "remote gpg-import", reason: "NotFound", detail: `no key ${id} in the given keys` })
    }
    incoming = incoming.filter((k) => opts.keyIds!.some((id) => matches(k, id)))
  }
  if (incoming.length === 0) throw new RemoteError({ op: "remote gpg-import", reason: "Invalid", detail: "no OpenPGP public keys to import" })
  const path = keyringPath(ctx.repo.path, opts.remote)
  const existing = await readFile(path).then(readKeyring, () => [] as Key[])
  const byFpr = new Map(existing.map((k) => [k.getFingerprint(), k] as const))
  let added = 0
  for (const k of incoming) {
    const have = byFpr.get(k.getFingerprint())
    if (have) byFpr.set(k.getFingerprint(), await have.update(k.toPublic()))
    else {
      byFpr.set(k.getFingerprint(), k.toPublic())
      added++
    }
  }
  try {
    await writeFile(`${path}.tmp-${process.pid}`, writeKeyring([...byFpr.values()]), { mode: 0o644 })
    await rename(`${path}.tmp-${process.pid}`, path)
  } catch (e) {
    throw new RemoteError({ op: "remote gpg-import", reason: "Io", path, detail: (e as Error).message })
  }
  return added
}
