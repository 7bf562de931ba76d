import * as Data from "effect/Data"
import type { Reason } from "./error.js"

/** What every module's operational error carries (reasons and exit codes: lib/error.ts). */
export interface OpErrorFields {
  /** The step that failed ("unpack", "compose resolve", "commit: write dirtree"). */
  readonly op: string
  readonly reason: Reason
  /** One human line: what is wrong and, where it helps, what to change. */
  readonly detail: string
  /** The file, directory or URL involved, when there is one. */
  readonly path?: string
}

/**
 * The base class of a module's tagged error, so each module names its own failures
 * (`catchTag("RpmError", …)`) while all of them print alike on one line:
 * `class RpmError extends OpError("RpmError") {}` → `unpack foo.rpm: bad digest`;
 * `"suffix"` puts the path last instead: `commit: write dirtree: ENOSPC (/srv/repo)`.
 */
export const OpError = <Tag extends string>(tag: Tag, where: "prefix" | "suffix" = "prefix") =>
  class extends Data.TaggedError(tag)<OpErrorFields> {
    override get message(): string {
      return where === "prefix"
        ? `${this.op}${this.path ? ` ${this.path}` : ""}: ${this.detail}`
        : `${this.op}: ${this.detail}${this.path ? ` (${this.path})` : ""}`
    }
  }
