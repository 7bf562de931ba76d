import t from "tap"
import { spawnSync } from "node:child_process"
import { join } from "node:path"
import { catFiles } from "../../src/io/repo/cat.js"
import { openRepo } from "../../src/io/repo/repo.js"
import { tmp } from "../helpers/tmp.js"
import { MODES, flipByte, noise, objectFiles, ostreeHistory, srepo } from "../helpers/repo-fixture.js"

/** Raw stdout bytes of a command (the string helpers would mangle binary). */
const bytesOf = (cmd: string, args: string[]): { status: number; out: Buffer; err: string } => {
  const r = spawnSync(cmd, args, { maxBuffer: 1 << 26 })
  return { status: r.status ?? -1, out: r.stdout, err: r.stderr.toString() }
}
const strataBin = join(process.cwd(), "bin", "strata.js")

for (const mode of MODES) {
  t.test(`cat gives ostree's bytes (${mode})`, async (t) => {
    const h = ostreeHistory(tmp(t), mode)
    for (const args of [["main^", "/d2/bin.dat"], ["main", "/a.txt", "sub/new"], ["main^", "/link"], ["main^", "/abslink"], ["main", "/it's here"]]) {
      const ours = bytesOf(process.execPath, [strataBin, "repo", `--repo=${h.repo}`, "cat", ...args])
      const theirs = bytesOf("ostree", [`--repo=${h.repo}`, "cat", ...args])
      t.equal(theirs.status, 0, `ostree cat ${args.join(" ")}`)
      t.equal(ours.status, 0, `strata cat ${args.join(" ")} ${ours.err}`)
      t.ok(ours.out.equals(theirs.out), `same bytes: cat ${args.join(" ")} (${ours.out.length} bytes)`)
    }
  })
}

t.test("cat through the library is binary safe", async (t) => {
  const h = ostreeHistory(tmp(t), "archive")
  const data = await catFiles(await openRepo(h.repo), h.c1, ["/d2/bin.dat"])
  t.ok(data.equals(noise(70000)), "70000 bytes with NULs and high bytes, unchanged")
})

t.test("cat refuses directories, missing paths and corrupted content", async (t) => {
  const h = ostreeHistory(tmp(t), "bare")
  let r = srepo(h.repo, "cat", "main", "/sub")
  t.not(r.status, 0, "a directory")
  t.match(r.stderr, /\/sub: is a directory/)
  r = srepo(h.repo, "cat", "main", "/nope")
  t.equal(r.status, 3, "a missing path is NotFound")
  t.equal(r.stderr.trim().split("\n").length, 1)
  r = srepo(h.repo, "cat", "main")
  t.equal(r.status, 2, "no PATH is a usage error")
  // Corrupt the object behind /a.txt of main: cat must refuse, never print other bytes.
  const csum = srepo(h.repo, "ls", "-C", "main", "/a.txt").stdout.split(" ").filter(Boolean)[4]!
  const file = objectFiles(h.repo, "file").find((f) => f.replace("/", "").startsWith(csum))!
  flipByte(join(h.repo, "objects", file), 0)
  r = srepo(h.repo, "cat", "main", "/a.txt")
  t.equal(r.status, 4, "Corrupt exit code")
  t.equal(r.stdout, "", "nothing printed")
  t.match(r.stderr, csum)
})
