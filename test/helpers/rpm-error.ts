import type t from "tap"

type Asserts = Pick<typeof t, "fail" | "equal" | "match">

/** Expect `p` to fail with one tagged RpmError whose message matches `pattern`. */
export const rejectsRpmError = async (t: Asserts, p: Promise<unknown>, pattern: RegExp, msg: string): Promise<void> => {
  try {
    await p
    t.fail(`${msg}: did not fail`)
  } catch (e) {
    const err = e as { _tag?: string; message: string }
    t.equal(err._tag, "RpmError", `${msg}: a tagged error`)
    t.match(err.message, pattern, msg)
  }
}
