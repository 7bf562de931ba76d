/**
 * `strata recover`, `strata history [--json] [--at]` and `strata admin record-boot`, through the
 * public entry (bin/strata.js) on toy sysroots: output, JSON, exit codes, and the lock wait.
 */
import t from "tap"
import { spawn } from "node:child_process"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { strata } from "../helpers/tmp.js"
import { child, copySysroot, deployB, makeTemplate, readLog, tmpDir } from "./harness.js"

t.test("history: transactions and boots, --json, --at a position or time, bad --at", async (t) => {
  const dir = tmpDir(t)
  const s = copySysroot(await makeTemplate(dir), join(dir, "s"))
  const boot = strata(["admin", "record-boot", "--sysroot", s, "--boot-id", "boot-1", "--deployment", "a1.0", "--json"])
  t.equal(boot.status, 0, boot.stderr)
  t.match(JSON.parse(boot.stdout), { recorded: true, bootId: "boot-1", deployment: "a1.0" })
  const again = strata(["admin", "record-boot", "--sysroot", s, "--boot-id", "boot-1"])
  t.match(again.stdout, /boot boot-1 was already recorded/, "once per boot id")

  const text = strata(["history", "--sysroot", s])
  t.equal(text.status, 0, text.stderr)
  t.match(text.stdout, /Transaction [0-9A-Z]{26}  toy-deploy  completed\n  When: .*\n  By: .*\n  Command: toy\n  Changed: wrote deployment os-a0\.0/)
  t.match(text.stdout, /Boot .*  a1\.0  kernel .*\(boot id boot-1\)$/m)

  const json = JSON.parse(strata(["history", "--sysroot", s, "--json"]).stdout) as { entries: Array<{ entry: string; outcome?: string }> }
  t.same(json.entries.map((e) => e.outcome ?? e.entry), ["completed", "completed", "boot"])

  // After the first transaction (8 events) only a0 existed.
  const past = JSON.parse(strata(["history", "--sysroot", s, "--json", "--at", "8"]).stdout) as { entries: unknown[]; deployments: Array<{ id: string }> }
  t.equal(past.entries.length, 1)
  t.same(past.deployments.map((d) => d.id), ["os-a0.0"])
  const events = await readLog(s)
  const byTime = strata(["history", "--sysroot", s, "--at", events.at(-1)!.at])
  t.match(byTime.stdout, /Deployments at .*:\n\* os a1\.0\n  os a0\.0 \(rollback\)$/m, "after the boot into a1: a1 booted, a0 rollback")

  const bad = strata(["history", "--sysroot", s, "--at", "last tuesday"])
  t.equal(bad.status, 2, "Invalid")
  t.match(bad.stderr, /--at must be a log position/)
  t.equal(strata(["log", "verify", "--sysroot", s]).status, 0, "the log verifies")
})

t.test("recover: nothing to do, an unknown kind (exit 9), no sysroot (exit 3)", async (t) => {
  const dir = tmpDir(t)
  const s = copySysroot(await makeTemplate(dir), join(dir, "s"))
  const none = strata(["recover", "--sysroot", s])
  t.equal(none.status, 0, none.stderr)
  t.equal(none.stdout, "nothing to recover\n")
  const asJson = strata(["recover", "--sysroot", s, "--json"])
  t.equal(asJson.status, 0, asJson.stderr)
  t.same(JSON.parse(asJson.stdout || "null"), [])
  t.equal(child(s, ["deploy", JSON.stringify(deployB)], "DeploymentWritten:1").signal, "SIGKILL")
  // The toy kinds are not strata's: this strata cannot finish them, and says so.
  const unknown = strata(["recover", "--sysroot", s])
  t.equal(unknown.status, 9, "Unsupported")
  t.match(unknown.stderr, /interrupted transaction of a kind this strata does not know: [0-9A-Z]{26} \(toy-deploy\)/)
  t.equal(strata(["recover", "--sysroot", join(dir, "nope")]).status, 3, "not a sysroot: NotFound")
})

t.test("recover waits for the sysroot lock with a message, then fails with exit 6", async (t) => {
  const dir = tmpDir(t)
  const s = copySysroot(await makeTemplate(dir), join(dir, "s"))
  const holder = spawn(process.execPath, [fileURLToPath(new URL("./toy-run.js", import.meta.url)), s, "hold"], { stdio: ["ignore", "pipe", "inherit"] })
  t.teardown(() => void holder.kill("SIGKILL"))
  await new Promise<void>((res) => holder.stdout!.once("data", () => res()))
  const r = strata(["recover", "--sysroot", s], { env: { STRATA_LOCK_TIMEOUT: "0.2" } })
  t.equal(r.status, 6, "Locked")
  t.match(r.stderr, new RegExp(`strata: waiting for the sysroot lock .*/ostree/lock, held by pid ${holder.pid} \\(hold: toy-run hold\\); giving up after 0.2s\\n`))
  t.match(r.stderr, /strata: recover: the sysroot is locked by another transaction \(waited 0.2s\)/)
})
