/**
 * `strata admin init-fs PATH` and `strata admin os-init STATEROOT` (ostree admin's): make a
 * sysroot and a stateroot, each as a transaction (src/machines/init.ts), so the event log of a
 * sysroot strata made starts with them.
 */
import type { Command } from "../command.js"
import { machines, onWait, sysrootOf, sysrootOptions, usage } from "../sysroot-args.js"

export const initFs: Command = {
  path: ["admin", "init-fs"],
  summary: "Initialize a root directory for ostree deployments (top-level directories, ostree/repo)",
  usage: "PATH",
  options: {},
  run: async (args) => {
    const path = args.positionals[0]
    if (!path) throw usage("init-fs", "missing PATH")
    const m = await machines()
    await m.ensureSysrootDir(path)
    await m.runSysrootTransaction({ sysroot: path, definition: m.initFsTransaction, plan: m.planInitFs(), onWait })
  },
}

export const osInit: Command = {
  path: ["admin", "os-init"],
  summary: "Initialize empty state for a stateroot (ostree/deploy/STATEROOT/var)",
  usage: "STATEROOT [--sysroot PATH]",
  options: sysrootOptions,
  run: async (args) => {
    const stateroot = args.positionals[0]
    if (!stateroot) throw usage("os-init", "missing STATEROOT")
    const m = await machines()
    await m.runSysrootTransaction({ sysroot: sysrootOf(args), definition: m.osInitTransaction, plan: m.planOsInit({ stateroot }), onWait })
    return `ostree/deploy/${stateroot} initialized as OSTree root`
  },
}
