/**
 * The shared tail of the child processes the crash tests spawn (sysroot-run.ts, toy-run.ts):
 * print the result as one JSON line, or the error's tag, reason and message on stderr (the
 * parent asserts on those), and the `hold` command that keeps the sysroot lock until killed.
 */
import { lockSysroot } from "../../src/machines/runtime/index.js"

export const runChild = (main: () => Promise<unknown>): void => {
  main().then(
    (r) => process.stdout.write(JSON.stringify(r) + "\n"),
    (e) => {
      const x = e as { _tag?: string; reason?: string; message?: string }
      process.stderr.write(`error: ${x._tag ?? ""} ${x.reason ?? ""} ${x.message ?? String(e)}\n`)
      process.exitCode = 1
    },
  )
}

/** Takes the sysroot lock as `who` and never returns (the test kills the process). */
export const holdLock = async (sysroot: string, who: string): Promise<never> => {
  await lockSysroot(sysroot, { holder: { kind: "hold", argv: [who, "hold"] } })
  process.stdout.write("held\n")
  return new Promise<never>(() => setInterval(() => undefined, 1 << 30))
}
