/**
 * Pool input from rpm headers — the installed set read from an rpmdb (io/rpm/rpmdb.ts), or a
 * package file's header.
 */
import "./rich.js" // pool.dep parses rich dependencies with it
import { deps as headerDeps } from "../formats/rpm/deps.js"
import { filePaths } from "../formats/rpm/files.js"
import { number, string, type Header } from "../formats/rpm/header.js"
import { packageArch } from "../formats/rpm/info.js"
import { T } from "../formats/rpm/tags.js"
import { KINDS, type PackageInput } from "./package.js"

export const packageOfHeader = (h: Header): PackageInput => {
  const epoch = number(h, T.EPOCH)
  const lists = Object.fromEntries(
    KINDS.map((k) => [k, headerDeps(h, k).filter((d) => !(k === "requires" && d.name.startsWith("rpmlib(")))]),
  )
  return {
    name: string(h, T.NAME) ?? "",
    epoch: epoch === undefined ? undefined : `${epoch}`,
    version: string(h, T.VERSION) ?? "",
    release: string(h, T.RELEASE) ?? "",
    arch: packageArch(h),
    ...lists,
    files: filePaths(h),
  }
}
