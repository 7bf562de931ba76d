/**
 * Getting the packages a layer needs: repository packages downloaded into the content cache
 * (`<cache>/pkgs/<repo>/<file>`, checked against primary.xml's checksum before the file appears
 * there), and every package's digests — and signature, when its repository (or, for a local
 * RPM, the system) has gpgcheck on — verified before it is used.
 */
import { existsSync, mkdirSync } from "node:fs"
import { basename, join } from "node:path"
import type { Keyring } from "../../formats/rpm/signature.js"
import type { MdPackage } from "../../formats/rpm/repomd.js"
import { download, joinUrl } from "../rpm/fetch.js"
import { readPackageFront, type PackageFile } from "../rpm/read.js"
import { assertVerified, verifyPackage } from "../rpm/verify.js"
import { LayerError } from "./error.js"

const checksumType = (pkgid: string): string => ({ 40: "sha1", 64: "sha256", 96: "sha384", 128: "sha512" })[pkgid.length] ?? "sha256"

/** Digests always; a signature from `keyring` when `gpgcheck`. Throws a LayerError naming the package. */
export const verifyRpm = async ({ path, nevra, keyring, gpgcheck }: { path: string; nevra: string; keyring?: Keyring; gpgcheck: boolean }): Promise<PackageFile> => {
  try {
    const front = readPackageFront(path)
    assertVerified(await verifyPackage({ path, ...(keyring ? { keyring } : {}) }), { requireSignature: gpgcheck })
    return front
  } catch (e) {
    const x = e as { reason?: string; detail?: string; message?: string }
    throw new LayerError({
      op: "verify", reason: x.reason === "PermissionDenied" || x.reason === "Corrupt" ? "Untrusted" : "Invalid",
      detail: `${nevra}: ${x.detail ?? x.message ?? String(e)}`, path,
    })
  }
}

/** Downloads a repository package into the cache (kept: content-addressed by its checksum). */
export const fetchRepoPackage = async ({ cacheDir, repo, baseurl, pkg }: { cacheDir: string; repo: string; baseurl: string; pkg: MdPackage }): Promise<string> => {
  const dir = join(cacheDir, "pkgs", repo)
  mkdirSync(dir, { recursive: true })
  const dest = join(dir, `${pkg.pkgid.slice(0, 16)}-${basename(pkg.location)}`)
  if (existsSync(dest)) return dest
  try {
    await download({ url: joinUrl(baseurl, pkg.location), dest, checksum: { type: checksumType(pkg.pkgid), value: pkg.pkgid } })
  } catch (e) {
    throw new LayerError({ op: "fetch", reason: (e as { reason?: "Corrupt" }).reason ?? "Network", detail: `${pkg.name} from ${repo}: ${(e as Error).message}` })
  }
  return dest
}
