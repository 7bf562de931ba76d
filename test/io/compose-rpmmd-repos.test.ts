/**
 * `rpmostree.rpmmd-repos`: each repository a compose used, with the newest timestamp of its
 * repomd.xml, stored big-endian as rpm-ostree's compose commits hold it; `repo-metadata:
 * detached` moves it to the detached metadata, `disabled` leaves it out.
 */
import t from "tap"
import { spawnSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { composeWorkspace } from "../helpers/distro.js"

t.test("compose records the repositories it used and when their metadata was made", async (t) => {
  const w = await composeWorkspace(t, "bare", "strata-compose-rpmmd-")
  const baseurl = /^baseurl=file:\/\/(.+)$/m.exec(readFileSync(join(w.dir, "fixture.repo"), "utf8"))![1]!
  const newest = Math.max(...[...readFileSync(join(baseurl, "repodata/repomd.xml"), "utf8").matchAll(/<timestamp>(\d+)<\/timestamp>/g)].map((m) => Number(m[1])))
  t.ok(newest > 1_000_000_000, "the fixture repomd has data timestamps")
  const show = (flag: string, ref: string) => spawnSync("ostree", [`--repo=${w.repo}`, "show", `${flag}=rpmostree.rpmmd-repos`, ref], { encoding: "utf8" })
  // ostree show prints metadata in big-endian normal form (it byte-swaps on a little-endian
  // host), so a value stored big-endian, as rpm-ostree stores it, prints as the plain number
  const entries = (printed: string) => [...printed.matchAll(/\{'id': <'([^']+)'>, 'timestamp': <uint64 (\d+)>\}/g)].map((m) => ({ id: m[1], timestamp: Number(m[2]) }))
  const packages = ["filesystem setup busybox fixture-release"]

  const inline = w.compose({ ref: "test/inline", packages })
  t.equal(inline.status, 0, inline.stderr)
  t.same(entries(show("--print-metadata-key", "test/inline").stdout), [{ id: "fixture", timestamp: newest }], "in the commit metadata by default (big-endian, as rpm-ostree's)")

  const detached = w.compose({ ref: "test/detached", packages, "repo-metadata": "detached" })
  t.equal(detached.status, 0, detached.stderr)
  t.not(show("--print-metadata-key", "test/detached").status, 0, "detached: not in the commit")
  t.same(entries(show("--print-detached-metadata-key", "test/detached").stdout), [{ id: "fixture", timestamp: newest }], "but in its detached metadata")

  const disabled = w.compose({ ref: "test/disabled", packages, "repo-metadata": "disabled" })
  t.equal(disabled.status, 0, disabled.stderr)
  t.not(show("--print-metadata-key", "test/disabled").status, 0, "disabled: not recorded")
  t.not(show("--print-detached-metadata-key", "test/disabled").status, 0)
})
