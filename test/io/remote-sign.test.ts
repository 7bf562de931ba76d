/**
 * Signatures: ed25519 (`repo sign`, per-remote keys, trusted dirs, revoked keys, signed
 * summaries) and OpenPGP against the real gpg + ostree (ostree gpg-sign, gpg-import keyrings
 * read both ways, GPG-signed summaries). Unsigned or wrongly signed content is refused before
 * anything is written: no object, no ref.
 */
import t from "tap"
import { generateKeyPairSync } from "node:crypto"
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { tmp, sh } from "../helpers/tmp.js"
import { ostree, ostreeHistory, srepo, flipByte } from "../helpers/repo-fixture.js"
import { pythonServer } from "../helpers/http.js"

const edKey = (): { secret: string; pub: string } => {
  const { privateKey } = generateKeyPairSync("ed25519")
  const jwk = privateKey.export({ format: "jwk" })
  const seed = Buffer.from(jwk.d!, "base64url")
  const pub = Buffer.from(jwk.x!, "base64url")
  return { secret: Buffer.concat([seed, pub]).toString("base64"), pub: pub.toString("base64") }
}

const objectCount = (repo: string): number =>
  readdirSync(join(repo, "objects")).reduce((n, d) => n + readdirSync(join(repo, "objects", d)).length, 0)

t.test("ed25519: sign, verify, and pulls that require signatures", async (t) => {
  const dir = tmp(t)
  const h = ostreeHistory(dir, "archive")
  const good = edKey()
  const other = edKey()
  const keys = join(dir, "secret.keys")
  writeFileSync(keys, `${good.secret}\n`)
  t.equal(srepo(h.repo, "sign", "--sign-type=ed25519", `--keys-file=${keys}`, "main").status, 0)
  const shown = ostree(h.repo, "show", "--print-detached-metadata-key=ostree.sign.ed25519", "main")
  t.match(shown.stdout, /^\[<?b?'?/, "ostree reads the signature strata appended")
  t.match(srepo(h.repo, "sign", "--verify", "main", good.pub).stdout, /Signature verified successfully with key/)
  const wrong = srepo(h.repo, "sign", "--verify", "main", other.pub)
  t.not(wrong.status, 0)
  t.match(wrong.stderr, /could not be verified/)
  t.equal(srepo(h.repo, "summary", "-u", `--sign=${good.secret}`).status, 0)
  const url = await pythonServer(t, h.repo)

  const attempt = (name: string, set: string[], sysroot?: string) => {
    const dest = join(dir, name)
    srepo(dest, "init", "--mode=bare-user")
    srepo(dest, ...(sysroot ? [`--sysroot=${sysroot}`] : []), "remote", "add", "--no-gpg-verify", ...set.map((s) => `--set=${s}`), "origin", url)
    return { dest, r: srepo(dest, ...(sysroot ? [`--sysroot=${sysroot}`] : []), "pull", "origin", "main") }
  }
  let a = attempt("ok", ["sign-verify=true", `verification-ed25519-key=${good.pub}`])
  t.equal(a.r.status, 0, a.r.stderr)
  t.equal(ostree(a.dest, "fsck").status, 0)
  a = attempt("wrong-key", ["sign-verify=ed25519", `verification-ed25519-key=${other.pub}`])
  t.not(a.r.status, 0)
  t.match(a.r.stderr, /^strata: verify: ed25519: signature of commit [0-9a-f]{64} could not be verified with 1 trusted key\(s\)\n$/)
  t.equal(objectCount(a.dest), 0, "nothing written")
  t.notOk(existsSync(join(a.dest, "refs/remotes/origin/main")))
  a = attempt("unsigned", ["sign-verify=true", `verification-ed25519-key=${good.pub}`])
  t.equal(a.r.status, 0, "main is signed")
  const unsigned = srepo(a.dest, "pull", "origin", "other")
  t.not(unsigned.status, 0)
  t.match(unsigned.stderr, /ed25519: no signatures found for commit/)
  t.notOk(existsSync(join(a.dest, "refs/remotes/origin/other")))
  // Keys from a file, from the sysroot's trusted dir, and a revoked key.
  const pubFile = join(dir, "trusted.pub")
  writeFileSync(pubFile, `${other.pub}\n${good.pub}\n`)
  a = attempt("keyfile", ["sign-verify=true", `verification-ed25519-file=${pubFile}`])
  t.equal(a.r.status, 0, a.r.stderr)
  const sysroot = join(dir, "sysroot")
  mkdirSync(join(sysroot, "etc/ostree/trusted.ed25519.d"), { recursive: true })
  writeFileSync(join(sysroot, "etc/ostree/trusted.ed25519.d/vendor"), `${good.pub}\n`)
  a = attempt("trusted-dir", ["sign-verify=true"], sysroot)
  t.equal(a.r.status, 0, a.r.stderr)
  writeFileSync(join(sysroot, "etc/ostree/revoked.ed25519"), `${good.pub}\n`)
  a = attempt("revoked", ["sign-verify=true"], sysroot)
  t.not(a.r.status, 0)
  t.match(a.r.stderr, /no trusted \(non-revoked\) public keys/)
  t.equal(objectCount(a.dest), 0, "nothing written")
  // Signed summary: verified; a tampered or missing summary.sig is refused.
  a = attempt("summary-ok", ["sign-verify-summary=true", `verification-ed25519-key=${good.pub}`])
  t.equal(a.r.status, 0, a.r.stderr)
  flipByte(join(h.repo, "summary.sig"), 40)
  a = attempt("summary-bad", ["sign-verify-summary=true", `verification-ed25519-key=${good.pub}`])
  t.not(a.r.status, 0)
  t.match(a.r.stderr, /signature of summary could not be verified|not valid a\{sv\}/)
  sh("rm", [join(h.repo, "summary.sig")])
  a = attempt("summary-missing", ["sign-verify-summary=true", `verification-ed25519-key=${good.pub}`])
  t.match(a.r.stderr, /no summary.sig found/)
  t.equal(objectCount(a.dest), 0)
})

t.test("OpenPGP: ostree gpg-sign, gpg-import keyrings both ways, signed summaries", async (t) => {
  const dir = tmp(t)
  const home = join(dir, "gnupg")
  mkdirSync(home, { mode: 0o700 })
  const gpg = (...args: string[]) => sh("gpg", ["--homedir", home, "--batch", "--pinentry-mode", "loopback", "--passphrase", "", ...args])
  gpg("--quick-gen-key", "Strata Test <test@example.com>", "ed25519", "sign", "never")
  gpg("--quick-gen-key", "Stranger <stranger@example.com>", "ed25519", "sign", "never")
  const fprs = gpg("--list-keys", "--with-colons").split("\n").filter((l) => l.startsWith("fpr:")).map((l) => l.split(":")[9]!)
  const [key, stranger] = fprs as [string, string]
  const pubring = join(dir, "trusted.gpg")
  gpg("--output", pubring, "--export", key)
  const h = ostreeHistory(dir, "archive")
  t.equal(ostree(h.repo, "gpg-sign", `--gpg-homedir=${home}`, "main", key).status, 0)
  t.equal(ostree(h.repo, "gpg-sign", `--gpg-homedir=${home}`, "other", stranger).status, 0)
  t.equal(ostree(h.repo, "summary", "-u", `--gpg-sign=${key}`, `--gpg-homedir=${home}`).status, 0)
  const url = await pythonServer(t, h.repo)

  const dest = join(dir, "dest")
  srepo(dest, "init", "--mode=bare-user")
  srepo(dest, "remote", "add", "--set=gpg-verify-summary=true", "origin", url) // gpg-verify defaults to true
  const nokeys = srepo(dest, "pull", "origin", "main")
  t.not(nokeys.status, 0)
  t.match(nokeys.stderr, /no trusted keys are configured/)
  t.equal(objectCount(dest), 0, "nothing written without keys")
  const imp = srepo(dest, "remote", "gpg-import", `--keyring=${pubring}`, "origin")
  t.equal(imp.status, 0, imp.stderr)
  t.match(imp.stdout, /Imported 1 GPG key to remote "origin"/)
  const ok = srepo(dest, "pull", "origin", "main")
  t.equal(ok.status, 0, ok.stderr)
  const bad = srepo(dest, "pull", "origin", "other")
  t.not(bad.status, 0)
  t.match(bad.stderr, /GPG signatures found for commit [0-9a-f]{64}, but none are in the trusted keyring/)
  t.notOk(existsSync(join(dest, "refs/remotes/origin/other")))
  // ostree verifies with the keyring strata imported…
  const o = join(dir, "ostree-dest")
  ostree(o, "init", "--mode=bare-user")
  ostree(o, "remote", "add", "origin", url)
  sh("cp", [join(dest, "origin.trustedkeys.gpg"), join(o, "origin.trustedkeys.gpg")])
  t.equal(ostree(o, "pull", "origin", "main").status, 0, "ostree accepts strata's keyring")
  // … and strata with the keyring ostree imported.
  const s2 = join(dir, "strata-dest2")
  srepo(s2, "init", "--mode=bare-user")
  srepo(s2, "remote", "add", "origin", url)
  t.equal(ostree(s2, "remote", "gpg-import", `--keyring=${pubring}`, "origin").status, 0)
  const r2 = srepo(s2, "pull", "origin", "main")
  t.equal(r2.status, 0, `strata accepts ostree's keyring: ${r2.stderr}`)
  // A summary.sig by an untrusted key is refused before anything is fetched or any ref moves.
  const before = readFileSync(join(dest, "refs/remotes/origin/main"), "utf8")
  t.equal(ostree(h.repo, "summary", "-u", `--gpg-sign=${stranger}`, `--gpg-homedir=${home}`).status, 0)
  const objectsBefore = objectCount(dest)
  const untrusted = srepo(dest, "pull", "origin", "main", "other")
  t.not(untrusted.status, 0, "summary signed by a stranger: refused")
  t.match(untrusted.stderr, /GPG signatures found for summary, but none are in the trusted keyring/)
  t.equal(readFileSync(join(dest, "refs/remotes/origin/main"), "utf8"), before, "the ref did not move")
  t.notOk(existsSync(join(dest, "refs/remotes/origin/other")))
  t.equal(objectCount(dest), objectsBefore, "nothing written")
})
