import * as Data from "effect/Data"
import type { Reason } from "../../lib/error.js"

/**
 * A treefile that cannot be used: its message names the file, the line and the field, e.g.
 * `fixture.yaml:12: packages: expected a list of strings, got a map`.
 */
export class TreefileError extends Data.TaggedError("TreefileError")<{
  readonly file: string
  readonly line: number
  readonly field: string
  readonly detail: string
  readonly reason: Reason
}> {
  override get message(): string {
    return `${this.file}:${this.line}: ${this.field}: ${this.detail}`
  }
  get op(): string {
    return "treefile"
  }
}

export const treefileError = (file: string, line: number, field: string, detail: string, reason: Reason = "Invalid"): TreefileError =>
  new TreefileError({ file, line, field, detail, reason })
