/**
 * Pull faults with a loopback server of our own: flipped bytes, truncated bodies, 404/500, a
 * stalled connection, an older commit. Each is refused with one error line, no ref moves, and a
 * re-run once the fault is gone completes — fetching again only what the failed run lacked.
 */
import t from "tap"
import { existsSync } from "node:fs"
import { join } from "node:path"
import { tmp } from "../helpers/tmp.js"
import { objectFiles, ostree, ostreeHistory, srepo } from "../helpers/repo-fixture.js"
import { faultServer, strataAsync, type Fault } from "../helpers/http.js"

const ENV = { STRATA_HTTP_TIMEOUT_MS: "1000", STRATA_HTTP_RETRIES: "1" }

t.test("each fault is refused with one line, leaves refs alone, and a re-run completes", async (t) => {
  const dir = tmp(t)
  const h = ostreeHistory(dir, "archive")
  t.equal(ostree(h.repo, "summary", "-u").status, 0)
  const server = await faultServer(t, h.repo)
  const filez = objectFiles(h.repo, "filez")
  const dirtree = objectFiles(h.repo, "dirtree")
  const cases: Array<{ name: string; fault: (p: string) => Fault | undefined; error: RegExp }> = [
    { name: "flipped bytes in a .filez", fault: (p) => (p === `objects/${filez[1]}` ? "flip" : undefined), error: /is corrupted: (checksum mismatch|cannot inflate|inflated to)/ },
    { name: "a truncated .dirtree", fault: (p) => (p.endsWith(".dirtree") ? "truncate" : undefined), error: /(truncated body|connection closed).* after 2 attempts/ },
    { name: "a 404 for a .filez", fault: (p) => (p === `objects/${filez[2]}` ? "404" : undefined), error: /not found/ },
    { name: "a 500 for the summary", fault: (p) => (p === "summary" ? "500" : undefined), error: /server returned HTTP 500 after 2 attempts/ },
    { name: "a stalled .commit", fault: (p) => (p.endsWith(".commit") ? "stall" : undefined), error: /timed out waiting for data/ },
    { name: "flipped bytes in a .dirtree", fault: (p) => (p === `objects/${dirtree[0]}` ? "flip" : undefined), error: /is corrupted/ },
  ]
  for (const c of cases) {
    const dest = join(dir, `dest-${cases.indexOf(c)}`)
    srepo(dest, "init", "--mode=bare-user")
    srepo(dest, "remote", "add", "--no-gpg-verify", "origin", server.url)
    server.fault = c.fault
    const bad = await strataAsync(["repo", `--repo=${dest}`, "pull", "origin", "main"], ENV)
    t.not(bad.status, 0, `${c.name}: refused`)
    const lines = bad.stderr.trim().split("\n")
    t.equal(lines.length, 1, `${c.name}: one line: ${bad.stderr}`)
    t.match(lines[0], c.error, c.name)
    t.notOk(existsSync(join(dest, "refs/remotes/origin/main")), `${c.name}: no ref`)
    server.log.splice(0)
    // What the failed run stored, as the remote names it.
    const storedBefore = new Set(objectFiles(dest, "file").map((f) => `objects/${f.replace(/\.file$/, ".filez")}`))
    server.fault = () => undefined
    const good = await strataAsync(["repo", `--repo=${dest}`, "pull", "origin", "main"], ENV)
    t.equal(good.status, 0, `${c.name}: the re-run completes: ${good.stderr}`)
    t.equal(ostree(dest, "rev-parse", "origin:main").stdout.trim(), h.c2)
    t.equal(ostree(dest, "fsck").status, 0, `${c.name}: fsck after the re-run`)
    const refetched = server.log.splice(0).filter((p) => storedBefore.has(p))
    t.equal(refetched.length, 0, `${c.name}: none of the ${storedBefore.size} objects stored before the failure is fetched again`)
  }
})

t.test("a ref moved to an older commit is refused unless --allow-downgrade", async (t) => {
  const dir = tmp(t)
  const h = ostreeHistory(dir, "archive")
  ostree(h.repo, "summary", "-u")
  const server = await faultServer(t, h.repo)
  const dest = join(dir, "dest")
  srepo(dest, "init", "--mode=bare-user")
  srepo(dest, "remote", "add", "--no-gpg-verify", "origin", server.url)
  t.equal((await strataAsync(["repo", `--repo=${dest}`, "pull", "origin", "main"])).status, 0)
  t.equal(ostree(h.repo, "reset", "main", h.c1).status, 0)
  ostree(h.repo, "summary", "-u")
  const r = await strataAsync(["repo", `--repo=${dest}`, "pull", "origin", "main"])
  t.not(r.status, 0)
  t.equal(r.stderr.trim().split("\n").length, 1)
  t.match(r.stderr, new RegExp(`Upgrade target revision '${h.c1}' with timestamp '.*' is chronologically older than current revision '${h.c2}'.*--allow-downgrade`))
  t.equal(ostree(dest, "rev-parse", "origin:main").stdout.trim(), h.c2, "the ref did not move")
  t.equal((await strataAsync(["repo", `--repo=${dest}`, "pull", "--allow-downgrade", "origin", "main"])).status, 0)
  t.equal(ostree(dest, "rev-parse", "origin:main").stdout.trim(), h.c1, "allowed explicitly")
})
