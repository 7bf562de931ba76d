/** The event-log contract, run against both backends: LevelDB on disk and the memory fake. */
import { join } from "node:path"
import { contract } from "./contract.js"
import { tmp } from "../helpers/tmp.js"
import { makeMemoryData, openEventLog, openLevelKV, openMemoryEventLog, openMemoryKV } from "../../src/events/index.js"

contract("memory", () => {
  const data = makeMemoryData()
  return {
    open: (opts) => openMemoryEventLog({ ...opts, data }),
    raw: async () => openMemoryKV(data),
  }
})

contract("leveldb", (t) => {
  const path = join(tmp(t, "strata-log-"), "ostree", "strata", "log")
  return {
    open: (opts) => openEventLog(path, opts),
    raw: () => openLevelKV(path, { create: false }),
  }
})
