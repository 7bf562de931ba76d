// The OS tools a script needs, installed with apt-get when we are root, else a stop with the
// exact command to run. Shared by `npm test` and `npm run demo`.
import { spawnSync } from "node:child_process"

const have = (t) => spawnSync("sh", ["-c", `command -v ${t}`], { stdio: "ignore" }).status === 0

/** `tools`: tool on PATH → Debian package. Exits the process when they cannot be had. */
export const ensureTools = (who, tools) => {
  const missing = [...new Set(Object.entries(tools).filter(([t]) => !have(t)).map(([, p]) => p))]
  if (!missing.length) return
  const cmd = `apt-get update && apt-get install -y ${missing.join(" ")}`
  if (process.getuid?.() === 0 && have("apt-get")) {
    console.error(`${who}: installing ${missing.join(" ")}`)
    const r = spawnSync("sh", ["-c", `DEBIAN_FRONTEND=noninteractive ${cmd.replace("install -y", "install -y -q")}`], { stdio: "inherit" })
    if (r.status === 0) return
    console.error(`${who}: install failed; run: ${cmd}`)
  } else console.error(`${who}: needs OS tools that are missing. Run as root:\n  ${cmd}`)
  process.exit(1)
}
