import * as Data from "effect/Data"

/** A malformed type string, a value that does not fit its type, or bytes that are not a valid serialisation. */
export class GVariantError extends Data.TaggedError("GVariantError")<{ readonly reason: string }> {
  override get message(): string {
    return `gvariant: ${this.reason}`
  }
}
