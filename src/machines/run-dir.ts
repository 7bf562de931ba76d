/**
 * Which run directory (ostree's /run: the booted marker and the staged deployment's state file)
 * belongs to a sysroot. ostree reads /run only for the booted system, i.e. sysroot `/`; strata
 * does the same by default, and `--run-dir` / STRATA_RUN_DIR point elsewhere (tests, or a
 * sysroot mounted for maintenance). A directory without `ostree-booted` is not a booted system's
 * and is ignored, like ostree ignores /run on a system it did not boot.
 */
import { isBootedRunDir } from "../io/sysroot/staged.js"

export const resolveRunDir = (sysroot: string, given?: string): string | undefined => {
  const dir = given ?? process.env["STRATA_RUN_DIR"] ?? (sysroot === "/" ? "/run" : undefined)
  return dir !== undefined && isBootedRunDir(dir) ? dir : undefined
}
