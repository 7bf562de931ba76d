// The subset of lzma-native (which ships no types) that the payload reader uses.
declare module "lzma-native" {
  import type { Transform } from "node:stream"
  export function createDecompressor(options?: { memlimit?: number; threads?: number }): Transform
  export function createStream(kind: "autoDecoder" | "aloneDecoder" | "rawDecoder", options?: { memlimit?: number }): Transform
}
