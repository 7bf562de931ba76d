/**
 * GnuPG commit signatures: `strata repo gpg-sign` (and compose's `gpg-key`) hand the commit's
 * bytes to gpg and store the detached signature under ostree.gpgsigs; the real `ostree show
 * --gpg-homedir` is the oracle that the signature is good and in ostree's place.
 */
import t from "tap"
import { spawnSync } from "node:child_process"
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { composeWorkspace } from "../helpers/distro.js"
import { sh, strata, tmp } from "../helpers/tmp.js"

/** A GNUPGHOME with one unprotected signing key, and a homedir with its public key for ostree. */
const makeKey = (dir: string) => {
  const home = join(dir, "gnupg")
  mkdirSync(home)
  chmodSync(home, 0o700)
  const env = { ...process.env, GNUPGHOME: home }
  const g = spawnSync("gpg", ["--batch", "--passphrase", "", "--quick-gen-key", "Strata Test <test@strata>", "ed25519", "sign", "never"], { env, encoding: "utf8" })
  if (g.status !== 0) throw new Error(g.stderr)
  const fpr = /^fpr:+([0-9A-F]{40}):/m.exec(spawnSync("gpg", ["--list-keys", "--with-colons"], { env, encoding: "utf8" }).stdout)![1]!
  const verify = join(dir, "verify")
  mkdirSync(verify)
  writeFileSync(join(verify, "pubring.gpg"), spawnSync("gpg", ["--export", fpr], { env }).stdout)
  return { home, fpr, verify, env: { GNUPGHOME: home } }
}

const showSigs = (repo: string, rev: string, verify: string): string =>
  spawnSync("ostree", [`--repo=${repo}`, "show", rev, `--gpg-homedir=${verify}`], { encoding: "utf8" }).stdout

t.test("repo gpg-sign: ostree finds a good signature; --delete removes it; an unknown key changes nothing", async (t) => {
  const dir = tmp(t, "strata-gpg-")
  const key = makeKey(dir)
  const repo = join(dir, "repo")
  mkdirSync(join(dir, "tree"))
  writeFileSync(join(dir, "tree/a"), "a\n")
  t.equal(strata(["repo", `--repo=${repo}`, "init", "--mode=archive"]).status, 0)
  const c = strata(["repo", `--repo=${repo}`, "commit", "-b", "x", `--tree=dir=${join(dir, "tree")}`]).stdout.trim()
  const signed = strata(["repo", `--repo=${repo}`, "gpg-sign", "x", key.fpr], { env: key.env })
  t.equal(signed.status, 0, signed.stderr)
  t.match(showSigs(repo, "x", key.verify), /Found 1 signature:[\s\S]*Good signature from "Strata Test <test@strata>"/)
  const meta = join(repo, "objects", c.slice(0, 2), `${c.slice(2)}.commitmeta`)
  const before = readFileSync(meta)
  const bad = strata(["repo", `--repo=${repo}`, "gpg-sign", "x", "DEADBEEFDEADBEEF"], { env: key.env })
  t.not(bad.status, 0)
  t.match(bad.stderr, /^strata: gpg-sign: gpg could not sign with key DEADBEEFDEADBEEF: .*No secret key\n$/)
  t.same(readFileSync(meta), before, "the detached metadata is unchanged")
  const del = strata(["repo", `--repo=${repo}`, "gpg-sign", "--delete", "x", key.fpr.slice(-16)])
  t.equal(del.stdout.trim(), "Signatures deleted: 1")
  t.notMatch(showSigs(repo, "x", key.verify), /signature/i, "no signature left")
  t.match(sh("ostree", [`--repo=${repo}`, "fsck"]), /no errors found/)
})

t.test("compose gpg-key: the commit is signed before its ref moves; a key gpg cannot use leaves no ref and no commit", async (t) => {
  const w = await composeWorkspace(t, "bare", "strata-compose-gpg-")
  const key = makeKey(w.dir)
  const { repo } = w
  const compose = (ref: string, gpgKey: string) => w.compose({ ref, packages: ["filesystem setup busybox fixture-release"], "gpg-key": gpgKey }, key.env)
  const ok = compose("test/signed", key.fpr)
  t.equal(ok.status, 0, ok.stderr)
  t.match(showSigs(repo, "test/signed", key.verify), /Found 1 signature:[\s\S]*Good signature/)
  const bad = compose("test/unsigned", "DEADBEEFDEADBEEF")
  t.not(bad.status, 0)
  t.match(bad.stderr, /gpg could not sign with key DEADBEEFDEADBEEF/)
  t.equal(bad.stderr.trim().split("\n").length, 1, "one error line")
  t.not(spawnSync("ostree", [`--repo=${repo}`, "rev-parse", "test/unsigned"]).status, 0, "no ref")
  const commits = sh("bash", ["-c", `find '${repo}/objects' -name '*.commit' | wc -l`]).trim()
  t.equal(commits, "1", "only the signed compose's commit is in the repo")
  t.match(sh("ostree", [`--repo=${repo}`, "fsck"]), /no errors found/)
})
