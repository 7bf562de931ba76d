/**
 * Package scriptlets, run the way rpm runs them but inside bubblewrap instead of a chroot: the
 * target root bound read-write at `/`, fresh /proc, /dev, /tmp and /run, every namespace
 * unshared (no network), killed with its parent and after a timeout. The body goes to a file
 * the interpreter reads (rpm's runExtScript), followed by rpm's numeric arguments; triggers get
 * their matched paths on stdin. Output (stdout and stderr interleaved) is captured and, when the
 * script fails, its tail is the error's message.
 */
import { spawn } from "node:child_process"
import { mkdtempSync, rmdirSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Data from "effect/Data"
import type { Reason } from "../../lib/error.js"
import { numbers, string, strings, type Header } from "../../formats/rpm/header.js"
import { T } from "../../formats/rpm/tags.js"
import { scratchMounts } from "./bwrap-mounts.js"
import { mountRofiles, unmountRofiles } from "./rofiles.js"

export type ScriptKind = "pretrans" | "pre" | "post" | "preun" | "postun" | "posttrans" | "filetriggerin" | "transfiletriggerin"

/** A scriptlet of a package: interpreter (+ its arguments) and body. */
export interface Script {
  readonly kind: ScriptKind
  /** Interpreter and its arguments, `["/bin/sh"]` when the header names none (rpm's default). */
  readonly prog: ReadonlyArray<string>
  /** The script text; "" for `-p /sbin/prog` scriptlets that run a program without a body. */
  readonly body: string
  /** RPMSCRIPT_FLAG_* (macro / queryformat expansion at install time: not supported, reported). */
  readonly flags: number
}

export class ScriptletError extends Data.TaggedError("ScriptletError")<{
  readonly op: string
  readonly reason: Reason
  readonly detail: string
  /** The package's NEVRA. */
  readonly pkg: string
  readonly kind: ScriptKind
  /** Everything the script printed (tail-capped). */
  readonly output: string
}> {
  override get message(): string {
    return `${this.op}: ${this.detail}`
  }
}

const TAGS: Record<Exclude<ScriptKind, "filetriggerin" | "transfiletriggerin">, readonly [number, number, number]> = {
  pretrans: [T.PRETRANS, T.PRETRANSPROG, T.PRETRANSFLAGS],
  pre: [T.PREIN, T.PREINPROG, T.PREINFLAGS],
  post: [T.POSTIN, T.POSTINPROG, T.POSTINFLAGS],
  preun: [T.PREUN, T.PREUNPROG, T.PREUNFLAGS],
  postun: [T.POSTUN, T.POSTUNPROG, T.POSTUNFLAGS],
  posttrans: [T.POSTTRANS, T.POSTTRANSPROG, T.POSTTRANSFLAGS],
}

/** The scriptlet of `kind` in a header, or undefined when the package has none. */
export const scriptOf = (h: Header, kind: keyof typeof TAGS): Script | undefined => {
  const [bodyTag, progTag, flagsTag] = TAGS[kind]
  const body = string(h, bodyTag)
  const prog = strings(h, progTag)
  if (body === undefined && prog.length === 0) return undefined
  return { kind, prog: prog.length ? prog : ["/bin/sh"], body: body ?? "", flags: numbers(h, flagsTag)[0] ?? 0 }
}

/** RPMSENSE_TRIGGERIN: the condition fires on install of a matching file. */
const SENSE_TRIGGERIN = 1 << 16

export interface FileTrigger {
  /** The path prefix, as written after `--` ("/usr/share/fixture-docs"). */
  readonly prefix: string
  readonly priority: number
  readonly script: Script
}

/**
 * The install-side file triggers of a header (`%filetriggerin` or, with `trans`,
 * `%transfiletriggerin`): one entry per prefix, each with its script.
 */
export const fileTriggers = (h: Header, trans: boolean): FileTrigger[] => {
  const [scriptsTag, progTag, flagsTag, nameTag, indexTag, senseTag, prioTag] = trans
    ? [T.TRANSFILETRIGGERSCRIPTS, T.TRANSFILETRIGGERSCRIPTPROG, T.TRANSFILETRIGGERSCRIPTFLAGS, T.TRANSFILETRIGGERNAME, T.TRANSFILETRIGGERINDEX, T.TRANSFILETRIGGERFLAGS, T.TRANSFILETRIGGERPRIORITIES]
    : [T.FILETRIGGERSCRIPTS, T.FILETRIGGERSCRIPTPROG, T.FILETRIGGERSCRIPTFLAGS, T.FILETRIGGERNAME, T.FILETRIGGERINDEX, T.FILETRIGGERFLAGS, T.FILETRIGGERPRIORITIES]
  const bodies = strings(h, scriptsTag)
  const progs = strings(h, progTag)
  const sflags = numbers(h, flagsTag)
  const prios = numbers(h, prioTag)
  const senses = numbers(h, senseTag)
  const index = numbers(h, indexTag)
  const kind: ScriptKind = trans ? "transfiletriggerin" : "filetriggerin"
  return strings(h, nameTag).flatMap((prefix, i) => {
    if (!((senses[i] ?? 0) & SENSE_TRIGGERIN)) return []
    const s = index[i] ?? i
    const prog = (progs[s] ?? "/bin/sh").split(/\s+/).filter(Boolean)
    return [{ prefix, priority: prios[s] ?? 1000000, script: { kind, prog: prog.length ? prog : ["/bin/sh"], body: bodies[s] ?? "", flags: sflags[s] ?? 0 } }]
  })
}

export interface RunScriptletOptions {
  /** The target root, bound read-write at `/`. */
  readonly root: string
  /** NEVRA of the package, for messages. */
  readonly pkg: string
  readonly script: Script
  /** rpm's $1 (and $2 for triggers). */
  readonly args: ReadonlyArray<number>
  /** Fed to the script's stdin (file triggers: matched paths, one per line). */
  readonly stdin?: string
  /** Default 300 s. */
  readonly timeoutMs?: number
  /** The package's install prefixes (relocatable packages): RPM_INSTALL_PREFIX, RPM_INSTALL_PREFIX<n>. */
  readonly prefixes?: ReadonlyArray<string>
  /** Extra environment. */
  readonly env?: Readonly<Record<string, string>>
  /**
   * Run the script on a rofiles-fuse view of the root (as rpm-ostree does for layering): files
   * with more than one hardlink cannot be written in place (EROFS); new files, renames and
   * unlinks work. For roots hardlinked to an OSTree repository's objects. `"copyup"`: such a
   * write succeeds on a private copy of the file instead (compose: the links go into the import
   * cache, and packages' scripts that edit their own files in place must keep working).
   */
  readonly rofiles?: boolean | "copyup"
}

export interface ScriptletRun {
  readonly output: string
  /** Set when the script was not run (a `<lua>` scriptlet): why. */
  readonly skipped?: string
}

const OUTPUT_CAP = 256 * 1024
const TAIL_LINES = 20
const SCRIPT_PATH = "/run/strata-scriptlet"

const tailLines = (s: string): string => {
  const lines = s.replace(/\n$/, "").split("\n")
  return (lines.length > TAIL_LINES ? ["…", ...lines.slice(-TAIL_LINES)] : lines).map((l) => `  ${l}`).join("\n")
}

const which = (kind: ScriptKind): string => `%${kind}`

/**
 * Every namespace but the user one when strata runs as root: a user namespace maps only uid 0,
 * and root inside it loses its override on files owned by anyone else (a %post could not write
 * into the 0750 directory of the user its own %pre created). rpm-ostree unshares the same set.
 * Unprivileged, bubblewrap needs the user namespace (--unshare-all).
 */
const UNSHARE = process.getuid?.() === 0
  ? ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
  : ["--unshare-all"]

/** Runs one scriptlet inside `root`; resolves with its output, rejects with a ScriptletError. */
export const runScriptlet = async (o: RunScriptletOptions): Promise<ScriptletRun> => {
  const { script } = o
  // rpm's embedded Lua has no equivalent here; such scriptlets are reported, not run
  if (script.prog[0] === "<lua>") return { output: "", skipped: `${which(script.kind)} of ${o.pkg} is a Lua scriptlet; not run` }
  const work = mkdtempSync(join(tmpdir(), "strata-scriptlet-"))
  let mounted: string | undefined
  try {
    const argv = [...script.prog]
    if (o.rofiles) mounted = await mountRofiles(o.root, join(work, "root"), { copyup: o.rofiles === "copyup" })
    const bwrap = [
      "--bind", mounted ?? o.root, "/",
      "--proc", "/proc", "--dev", "/dev", ...scratchMounts(o.root),
      ...UNSHARE, "--die-with-parent", "--new-session", "--chdir", "/", "--clearenv",
      "--setenv", "PATH", "/usr/sbin:/usr/bin:/sbin:/bin",
    ]
    if (script.body !== "") {
      writeFileSync(join(work, "script"), script.body)
      bwrap.push("--ro-bind", join(work, "script"), SCRIPT_PATH)
      argv.push(SCRIPT_PATH)
    }
    ;(o.prefixes ?? []).forEach((p, i) => {
      if (i === 0) bwrap.push("--setenv", "RPM_INSTALL_PREFIX", p)
      bwrap.push("--setenv", `RPM_INSTALL_PREFIX${i}`, p)
    })
    for (const [k, v] of Object.entries(o.env ?? {})) bwrap.push("--setenv", k, v)
    argv.push(...o.args.map(String))
    const { status, signal, output, timedOut } = await new Promise<{ status: number | null; signal: NodeJS.Signals | null; output: string; timedOut: boolean }>((resolve, reject) => {
      const child = spawn("bwrap", [...bwrap, "--", ...argv], { stdio: ["pipe", "pipe", "pipe"] })
      let out = ""
      let timedOut = false
      const add = (b: Buffer): void => {
        out += b.toString("utf8")
        if (out.length > OUTPUT_CAP) out = out.slice(-OUTPUT_CAP)
      }
      child.stdout.on("data", add)
      child.stderr.on("data", add)
      const timer = setTimeout(() => {
        timedOut = true
        child.kill("SIGKILL")
      }, o.timeoutMs ?? 300_000)
      child.on("error", (e) => {
        clearTimeout(timer)
        reject(e)
      })
      child.on("close", (status, signal) => {
        clearTimeout(timer)
        resolve({ status, signal, output: out, timedOut })
      })
      // a script that does not read its stdin closes the pipe early: not an error
      child.stdin.on("error", () => undefined)
      child.stdin.end(o.stdin ?? "")
    })
    if (status === 0) return { output }
    const why = timedOut ? `timed out after ${Math.round((o.timeoutMs ?? 300_000) / 1000)} s` : signal ? `killed by ${signal}` : `exit status ${status}`
    throw new ScriptletError({
      op: "scriptlet",
      reason: "ScriptFailed",
      pkg: o.pkg,
      kind: script.kind,
      output,
      detail: `${which(script.kind)} scriptlet of ${o.pkg} failed (${why})${output.trim() ? `; its output:\n${tailLines(output)}` : " with no output"}`,
    })
  } catch (e) {
    if (e instanceof ScriptletError) throw e
    throw new ScriptletError({ op: "scriptlet", reason: "ScriptFailed", pkg: o.pkg, kind: script.kind, output: "", detail: `${which(script.kind)} scriptlet of ${o.pkg} could not be started: ${(e as Error).message}` })
  } finally {
    // Never a recursive delete here: if the unmount failed, work/root is still the live root.
    if (mounted) await unmountRofiles(mounted)
    rmSync(join(work, "script"), { force: true })
    for (const d of [join(work, "root"), work]) {
      try {
        rmdirSync(d)
      } catch {
        // absent, or a mount we could not undo: left for the admin rather than emptied
      }
    }
  }
}
