/** Where a sysroot keeps its event log: a LevelDB directory beside ostree's own state. */
import { join } from "node:path"

export const eventLogPath = (sysroot: string): string => join(sysroot, "ostree", "strata", "log")
