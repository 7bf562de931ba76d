/**
 * The layered build's work tree becomes the deployment: after the commit, the files the commit
 * imported are linked to their new objects (src/io/repo/adopt-tree.ts), so the tree is exactly
 * what `ostree checkout -H` of the commit makes — same inodes for every non-empty file, fresh
 * empty files, same owners, modes, xattrs and symlinks — and prepareDeployment renames it into
 * place (src/io/sysroot/prepared-tree.ts) instead of checking the commit out again.
 */
import t from "tap"
import { execFileSync } from "node:child_process"
import { existsSync, lstatSync, readdirSync, readlinkSync } from "node:fs"
import { join } from "node:path"
import { listAttributesSync, getAttributeSync } from "@napi-rs/xattr"
import { buildLayeredCommit, layerWorkDir } from "../../src/io/layer/build.js"
import { preparedTreePath, takePreparedTree, dropPreparedTrees } from "../../src/io/sysroot/prepared-tree.js"
import { describeLocal } from "../../src/io/layer/local.js"
import { emptyLayerState, withLayerState } from "../../src/io/sysroot/origin-layers.js"
import { layerSysroot } from "../helpers/layer-distro.js"

/** Differences between `got` and the checkout `want` (inode-exact for non-empty regular files). */
const differences = (got: string, want: string): string[] => {
  const out: string[] = []
  const walk = (rel: string): void => {
    const a = join(got, rel)
    const b = join(want, rel)
    const na = readdirSync(a).sort()
    const nb = readdirSync(b).sort()
    if (na.join("/") !== nb.join("/")) out.push(`${rel || "/"}: entries ${na.join(",")} vs ${nb.join(",")}`)
    for (const n of nb.filter((x) => na.includes(x))) {
      const r = rel ? `${rel}/${n}` : n
      const sa = lstatSync(join(a, n))
      const sb = lstatSync(join(b, n))
      const xa = listAttributesSync(join(a, n)).sort().map((k) => `${k}=${getAttributeSync(join(a, n), k)?.toString("hex")}`).join(",")
      const xb = listAttributesSync(join(b, n)).sort().map((k) => `${k}=${getAttributeSync(join(b, n), k)?.toString("hex")}`).join(",")
      if (sa.mode !== sb.mode || sa.uid !== sb.uid || sa.gid !== sb.gid || xa !== xb) out.push(`${r}: metadata`)
      if (sb.isDirectory()) walk(r)
      else if (sb.isSymbolicLink() && readlinkSync(join(a, n)) !== readlinkSync(join(b, n))) out.push(`${r}: symlink target`)
      else if (sb.isFile() && sb.size > 0 && sa.ino !== sb.ino) out.push(`${r}: not the object's inode`)
      else if (sb.isFile() && sb.size === 0 && (sa.size !== 0 || sa.nlink !== 1)) out.push(`${r}: empty file not a fresh inode`)
    }
  }
  walk("")
  return out
}

const setup = layerSysroot

t.test("prepareTree: the work tree is left as exactly the commit's hardlink checkout", async (t) => {
  const { dir, d, sysroot, base, configRoot } = await setup(t)
  const local = describeLocal(d.local)
  // packages, /etc content, a local RPM and a removal: every kind of file the build touches
  const origin = withLayerState("[origin]\nrefspec=testos/base\n", { ...emptyLayerState, requested: ["world"], remove: ["base-extra"], requestedLocal: [{ sha256: local.sha256, nevra: local.nevra }] })
  const r = await buildLayeredCommit({ sysroot, base, origin, configRoot, localFiles: { [local.sha256]: d.local }, prepareTree: true })
  t.equal(r.prepared, true)
  t.notOk(existsSync(layerWorkDir(sysroot, base)), "no work dir left to delete")
  const tree = preparedTreePath(sysroot, r.commit)
  const want = join(sysroot, "ostree/repo/tmp/want")
  execFileSync("ostree", [`--repo=${join(sysroot, "ostree/repo")}`, "checkout", "-H", r.commit, want])
  t.same(differences(tree, want), [], "same entries, metadata, inodes as ostree checkout -H")
  t.match(execFileSync("ostree", ["fsck", `--repo=${join(sysroot, "ostree/repo")}`], { encoding: "utf8" }), /no errors found/, "no object was changed by the adoption")

  const dest = join(dir, "deployment")
  t.equal(takePreparedTree(sysroot, r.commit, dest), true, "taken by rename")
  t.notOk(existsSync(tree))
  t.equal(takePreparedTree(sysroot, r.commit, join(dir, "again")), false, "only once")
  t.same(differences(dest, want), [])
})

t.test("prepareTree on an archive repository: no prepared tree, the work dir is removed", async (t) => {
  const { sysroot, base, configRoot } = await setup(t, "archive")
  const origin = withLayerState("[origin]\nrefspec=testos/base\n", { ...emptyLayerState, requested: ["hello"] })
  const r = await buildLayeredCommit({ sysroot, base, origin, configRoot, prepareTree: true })
  t.equal(r.prepared, false)
  t.notOk(existsSync(preparedTreePath(sysroot, r.commit)))
  t.notOk(existsSync(layerWorkDir(sysroot, base)))
})

t.test("dropPreparedTrees removes leftovers (the undo of an aborted layering)", async (t) => {
  const { sysroot, base, configRoot } = await setup(t)
  const origin = withLayerState("[origin]\nrefspec=testos/base\n", { ...emptyLayerState, requested: ["hello"] })
  const r = await buildLayeredCommit({ sysroot, base, origin, configRoot, prepareTree: true })
  t.same(dropPreparedTrees(sysroot), [preparedTreePath(sysroot, r.commit)])
  t.notOk(existsSync(preparedTreePath(sysroot, r.commit)))
})
