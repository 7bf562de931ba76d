/**
 * strata's sysroot lock is ostree's (an OFD lock on ostree/lock): while strata holds it,
 * `ostree admin` waits ("Waiting for sysroot lock...") and changes nothing; while `ostree admin`
 * holds it, strata waits with its message and gives up with exit 6. Ordering only, no timings:
 * each side is observed holding or waiting before the other is released.
 */
import t from "tap"
import { spawn } from "node:child_process"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { execFileSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { lockFile } from "../../src/io/repo/syscalls.js"
import { makeOsTree, sysrootTmp } from "../helpers/sysroot.js"
import { ostree, ostreeCommit } from "../helpers/sysroot-flow.js"
import { strata } from "../helpers/tmp.js"

const makeSysroot = (dir: string): string => {
  const S = join(dir, "s")
  mkdirSync(S)
  ostree(["admin", "init-fs", S])
  ostree(["admin", "os-init", "testos", `--sysroot=${S}`])
  const tree = join(dir, "tree")
  makeOsTree(tree)
  ostreeCommit(join(S, "ostree/repo"), tree, "testos/stable", "1")
  ostree(["admin", "deploy", `--sysroot=${S}`, "--os=testos", "testos/stable"])
  return S
}

const originOf = (S: string): string => {
  const dir = join(S, "ostree/deploy/testos/deploy")
  const name = execFileSync("ls", [dir], { encoding: "utf8" }).split("\n").find((n) => n.endsWith(".origin"))!
  return readFileSync(join(dir, name), "utf8")
}

/** Resolves once `text` has appeared on the stream. */
const seen = (stream: NodeJS.ReadableStream, text: string): Promise<void> =>
  new Promise((resolve) => {
    let buf = ""
    const on = (b: Buffer): void => {
      buf += b.toString()
      if (buf.includes(text)) {
        stream.off("data", on)
        resolve()
      }
    }
    stream.on("data", on)
  })

t.test("while strata holds the sysroot lock, ostree admin waits and changes nothing", async (t) => {
  const S = makeSysroot(sysrootTmp(t))
  const holder = spawn(process.execPath, [fileURLToPath(new URL("./sysroot-run.js", import.meta.url)), S, "hold"], { stdio: ["ignore", "pipe", "ignore"] })
  t.teardown(() => void holder.kill("SIGKILL"))
  await seen(holder.stdout!, "held")
  const o = spawn("ostree", ["admin", "pin", "0", `--sysroot=${S}`], { stdio: ["ignore", "pipe", "pipe"] })
  const done = new Promise<number | null>((resolve) => o.on("exit", (code) => resolve(code)))
  await seen(o.stdout!, "Waiting for sysroot lock")
  t.notMatch(originOf(S), /pinned=true/, "ostree is kept out: nothing pinned yet")
  holder.kill("SIGKILL") // the lock dies with its holder
  t.equal(await done, 0, "ostree proceeds once strata is gone")
  t.match(originOf(S), /pinned=true/, "and pins")
})

t.test("while ostree admin holds the sysroot lock, strata waits with a message, then exits 6", async (t) => {
  const dir = sysrootTmp(t)
  const S = makeSysroot(dir)
  // ostree takes the lock, then blocks opening the origin file: a FIFO nobody writes yet.
  const fifo = join(dir, "origin.fifo")
  execFileSync("mkfifo", [fifo])
  const o = spawn("ostree", ["admin", "deploy", `--sysroot=${S}`, "--os=testos", `--origin-file=${fifo}`, "testos/stable"], { stdio: "ignore" })
  const done = new Promise<void>((resolve) => o.on("exit", () => resolve()))
  t.teardown(() => void o.kill("SIGKILL"))
  // Wait until ostree holds it: probe without waiting (a probe that gets it lets go at once).
  for (let i = 0; i < 600; i++) {
    const got = await lockFile(join(S, "ostree/lock"), { exclusive: true, waitSec: 0, op: "probe" }).catch(() => undefined)
    if (!got) break
    await got.release()
    await new Promise((r) => setTimeout(r, 50))
  }
  const r = strata(["admin", "pin", "0", "--sysroot", S], { env: { STRATA_LOCK_TIMEOUT: "0.5" } })
  t.equal(r.status, 6, "Locked")
  t.match(r.stderr, /^strata: waiting for the sysroot lock .*\/ostree\/lock, held by another process; giving up after 0\.5s\n/, "the wait message first")
  t.match(r.stderr, /strata: pin: the sysroot is locked by another transaction \(waited 0\.5s\)/, "then the refusal")
  t.notMatch(originOf(S), /pinned=true/, "strata changed nothing")
  // lets ostree go on (it rejects a FIFO origin); if it already gave up on the FIFO, the write
  // finds no reader (EPIPE) — either way ostree ends and lets go of the lock
  try {
    writeFileSync(fifo, "[origin]\nrefspec=testos/stable\n")
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPIPE") throw e
  }
  await done
  t.equal(strata(["admin", "pin", "0", "--sysroot", S]).status, 0, "with ostree gone, strata gets the lock")
  t.match(originOf(S), /pinned=true/)
})
