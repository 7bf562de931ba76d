/**
 * Step events of making a sysroot: `admin init-fs` (the top-level directories and the repo) and
 * `admin os-init` (a stateroot). Both only create what is missing, so a re-run finishes the job;
 * the log of a sysroot strata made starts with them.
 */
import * as Schema from "effect/Schema"
import { defineStep } from "../event-def.js"

export const FsInitRequested = defineStep("FsInitRequested", "intent", { path: Schema.String })

export const FsInitialized = defineStep("FsInitialized", "fact", {
  path: Schema.String,
  /** What was missing and got created. */
  created: Schema.Array(Schema.String),
})

export const OsInitRequested = defineStep("OsInitRequested", "intent", {
  stateroot: Schema.String,
  /** The stateroot directory was there before: undo leaves it alone. */
  existed: Schema.Boolean,
})

export const OsInitialized = defineStep("OsInitialized", "fact", {
  stateroot: Schema.String,
  existed: Schema.Boolean,
  created: Schema.Array(Schema.String),
})

export const initEvents = [FsInitRequested, FsInitialized, OsInitRequested, OsInitialized]
