/**
 * The world of the initramfs command tests: a scratch sysroot that deployed a base image with
 * busybox (the fixture distribution's, for /bin/sh) and, optionally, its fake dracut.
 */
import { execFileSync } from "node:child_process"
import { readFileSync, rmSync } from "node:fs"
import { join } from "node:path"
import { strata, type RunResult } from "../helpers/tmp.js"
import { makeOsTree } from "../helpers/sysroot.js"
import { buildDistro } from "../helpers/distro.js"
import { commitTree } from "../../src/io/repo/commit.js"
import { openRepo } from "../../src/io/repo/repo.js"
import { variant } from "../../src/formats/gvariant/index.js"
import { ok, type Tap } from "./upgrade-fixture.js"

export const KVER = "6.1.0"

/** Commits a base image with busybox (for /bin/sh) and, if asked, the fake dracut, to `ref` of S's repo. */
export const makeDracutBase = async (dir: string, S: string, ref: string, withDracut: boolean): Promise<string> => {
  const distro = await buildDistro()
  const root = join(dir, `base-${ref.replace(/\//g, "_")}`)
  makeOsTree(root, { kver: KVER, etc: { "os.conf": "x\n", "fixture-initramfs/base.conf": "b\n" } })
  rmSync(join(root, "usr/bin/sh"))
  for (const n of ["filesystem", "busybox", ...(withDracut ? ["dracut"] : [])]) execFileSync("sh", ["-c", `rpm2cpio '${distro.v1[n]}' | cpio -idm --quiet`], { cwd: root })
  rmSync(join(root, "etc"), { recursive: true, force: true }) // /etc lives in usr/etc in a commit
  const repo = await openRepo(join(S, "ostree/repo"))
  const c = (await commitTree(repo, { branch: ref, trees: [{ dir: root }], timestamp: 1700000000n, metadata: [["version", variant("s", "1")]] })).commit
  rmSync(root, { recursive: true, force: true })
  return c
}

/** A scratch sysroot (no run dir) that deployed such a base from testos/base. */
export const makeDracutSysroot = async (t: Tap, dir: string, withDracut: boolean, name = "S") => {
  const S = join(dir, name)
  ok(t, strata(["admin", "init-fs", S]), "init-fs")
  ok(t, strata(["admin", "os-init", "testos", "--sysroot", S]), "os-init")
  const base = await makeDracutBase(dir, S, "testos/base", withDracut)
  ok(t, strata(["admin", "deploy", "--os=testos", "testos/base", "--sysroot", S]), "deploy")
  return { S, base }
}

export const s = (S: string, args: ReadonlyArray<string>, env: Record<string, string> = {}): RunResult => strata([...args, "--sysroot", S], { env })

export const image = (root: string): Buffer => readFileSync(join(root, "usr/lib/modules", KVER, "initramfs.img"))
