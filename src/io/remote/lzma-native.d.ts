/** The part of lzma-native's API strata uses (the package ships no types). */
declare module "lzma-native" {
  type Done = (result: Buffer, error?: Error) => void
  const lzma: {
    compress(input: Buffer, opts: { preset?: number; threads?: number }, done: Done): void
    decompress(input: Buffer, opts: Record<string, never>, done: Done): void
  }
  export default lzma
}
