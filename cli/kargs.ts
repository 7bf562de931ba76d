/**
 * `strata kargs` (rpm-ostree kargs): with no option, print the kernel arguments of the booted
 * (else the default) deployment; with --append/--replace/--delete/--append-if-missing/
 * --delete-if-present, or --editor, deploy the same commit again with the new arguments — staged
 * on a booted system, as rpm-ostree does.
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { Command } from "./command.js"
import { flag, strs } from "./command.js"
import { machines, onWait, runDirOf, sysrootOf, sysrootOptions, usage } from "./sysroot-args.js"

const HEADER = "# Current kernel arguments are shown below, and can be directly edited.\n# Empty or # starting lines will be ignored.\n"

/** $VISUAL/$EDITOR on the arguments (without `ostree=`, which every boot entry rewrites); the edited line. */
const edit = (current: string): string => {
  const editor = process.env["VISUAL"] ?? process.env["EDITOR"] ?? "vi"
  const dir = mkdtempSync(join(tmpdir(), "strata-kargs-"))
  try {
    const file = join(dir, "kargs")
    writeFileSync(file, `${HEADER}${current.split(" ").filter((k) => !k.startsWith("ostree=")).join(" ")}\n`)
    const r = spawnSync("sh", ["-c", `${editor} "$1"`, "editor", file], { stdio: "inherit" })
    if (r.status !== 0) throw usage("kargs", `the editor (${editor}) exited with ${r.status ?? r.signal}`)
    return readFileSync(file, "utf8").split("\n").filter((l) => l.trim() !== "" && !l.startsWith("#")).join(" ").trim()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export const kargs: Command = {
  path: ["kargs"],
  summary: "Show the kernel arguments, or deploy with them changed (--append, --replace, --delete, --editor)",
  usage: "[--append=K=V]… [--replace=K=V|K=OLD=NEW]… [--delete=K[=V]]… [--append-if-missing=K=V]… [--delete-if-present=K=V]… [--editor] [--unchanged-exit-77] [--sysroot PATH] [--run-dir DIR]",
  options: {
    ...sysrootOptions,
    append: { type: "string", multiple: true },
    replace: { type: "string", multiple: true },
    delete: { type: "string", multiple: true },
    "append-if-missing": { type: "string", multiple: true },
    "delete-if-present": { type: "string", multiple: true },
    editor: { type: "boolean" },
    "unchanged-exit-77": { type: "boolean" },
  },
  run: async (args) => {
    const sysroot = sysrootOf(args)
    const runDir = await runDirOf(args)
    const m = await machines()
    const spec = {
      append: strs(args.values["append"]),
      replace: strs(args.values["replace"]),
      delete: strs(args.values["delete"]),
      appendIfMissing: strs(args.values["append-if-missing"]),
      deleteIfPresent: strs(args.values["delete-if-present"]),
    }
    const editing = Object.values(spec).some((v) => v.length > 0)
    const base = await m.kargsBase(sysroot, runDir)
    if (!editing && !flag(args.values["editor"])) return base.kargs
    if (editing && flag(args.values["editor"])) throw usage("kargs", "--editor cannot be combined with other edits")
    const o = flag(args.values["editor"]) ? { set: edit(base.kargs) } : { edit: spec }
    // The editor shows the line without ostree=; put it back so an untouched line is "unchanged".
    const ostreeArg = base.kargs.split(" ").find((k) => k.startsWith("ostree="))
    const wanted = "set" in o && ostreeArg ? { set: `${o.set} ${ostreeArg}` } : o
    if (m.editedKargs(base.kargs, wanted) === undefined) {
      return flag(args.values["unchanged-exit-77"]) ? { stdout: "Kernel arguments unchanged\n", exitCode: 77 } : "Kernel arguments unchanged"
    }
    const plan = { ...wanted, ...(runDir ? { runDir } : {}) }
    const r = runDir
      ? await m.runSysrootTransaction({ sysroot, runDir, definition: m.stageTransaction, plan: m.planKargsStage(plan), onWait })
      : await m.runSysrootTransaction({ sysroot, runDir, definition: m.deployTransaction, plan: m.planKargsDeploy(plan), onWait })
    return `Kernel arguments updated in ${r.output.deployment}\nRun "systemctl reboot" to start a reboot`
  },
}
