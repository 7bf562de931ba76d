/**
 * `strata log verify`: walks every stored record and checks the hash chain, positions, stream
 * sequence numbers, the stream index, the head record and each payload's schema. Each problem
 * names the position and what is wrong; after the first break, follow-on breaks caused by it are
 * not reported again (one removed event is one problem, not three).
 *
 * What it can see: an edited record (its hash no longer matches the next record's `prev`, or the
 * head record for the last one), removed records (a gap in positions), reordered records (a
 * record stored under another position's key), a truncated tail (the head record points past the
 * last record). What it cannot see: a log rewritten consistently from some point on, head
 * included — that needs an anchor outside the log.
 */
import { sha256hex } from "./codec.js"
import { GENESIS, type Head } from "./envelope.js"
import { decodeEnvelopeBytes } from "./record.js"
import { HEAD_KEY, allStreamsRange, eventRange, parseStreamKey, posOfEventKey, readU64be } from "./keys.js"
import type { KV } from "./kv.js"
import type { Registry } from "./registry.js"
import { decodeRecord } from "./codec.js"
import { EventLogError, UnknownEventType } from "./error.js"

export type ProblemKind = "edited" | "removed" | "reordered" | "truncated" | "corrupt" | "sequence" | "index" | "head" | "schema"

export interface VerifyProblem {
  readonly pos: number
  readonly kind: ProblemKind
  readonly message: string
}

export interface VerifyReport {
  readonly ok: boolean
  /** Records found. */
  readonly events: number
  readonly streams: number
  /** Position of the last record found (0 if none). */
  readonly lastPos: number
  /** The stored head record, or null if there is none. */
  readonly head: Head | null
  readonly problems: ReadonlyArray<VerifyProblem>
}

const MAX_PROBLEMS = 1000

const readHead = async (kv: KV): Promise<Head | null | "corrupt"> => {
  const bytes = await kv.get(HEAD_KEY)
  if (!bytes) return null
  try {
    const h = decodeRecord(bytes) as Head
    return typeof h?.pos === "number" && typeof h?.hash === "string" ? { pos: h.pos, hash: h.hash } : "corrupt"
  } catch {
    return "corrupt"
  }
}

export const verifyKV = async (kv: KV, registry: Registry): Promise<VerifyReport> => {
  const problems: VerifyProblem[] = []
  const report = (pos: number, kind: ProblemKind, message: string): void => {
    if (problems.length < MAX_PROBLEMS) problems.push({ pos, kind, message })
  }
  const head = await readHead(kv)
  let expected = 1
  let prevHash = GENESIS
  // The previous record was already reported; a chain break right after it is its echo.
  let prevFlagged = false
  let lastPos = 0
  let events = 0
  const streamPositions = new Map<string, number[]>()

  for await (const chunk of kv.entries(eventRange(0))) {
    for (const [key, bytes] of chunk) {
      const pos = posOfEventKey(key)
      const hash = sha256hex(bytes)
      events++
      lastPos = pos
      let flagged = false
      if (pos > expected) {
        report(expected, "removed", pos - expected === 1 ? `pos ${expected}: event removed (gap before pos ${pos})` : `pos ${expected}..${pos - 1}: ${pos - expected} events removed`)
        flagged = true
      } else if (pos < expected) {
        report(pos, "corrupt", `pos ${pos}: key out of range`)
        flagged = true
      }
      let env
      try {
        env = decodeEnvelopeBytes(bytes, pos)
      } catch (e) {
        report(pos, "corrupt", `pos ${pos}: ${(e as Error).message.replace(/^read: /, "").replace(/ at pos \d+$/, "")}`)
        prevHash = hash
        expected = pos + 1
        prevFlagged = true
        continue
      }
      if (env.pos !== pos) {
        report(pos, "reordered", `pos ${pos}: holds the event of pos ${env.pos} (events reordered)`)
        flagged = true
      } else if (env.prev !== prevHash && !flagged && !prevFlagged) {
        report(pos - 1 || pos, "edited", pos === 1 ? "pos 1: prev is not the genesis hash (event edited)" : `pos ${pos - 1}: content does not match the hash recorded by pos ${pos} (event edited, or pos ${pos} replaced)`)
        flagged = true
      }
      const seqs = streamPositions.get(env.stream) ?? []
      if (env.seq !== seqs.length + 1 && problems.length === 0) {
        report(pos, "sequence", `pos ${pos}: stream ${env.stream} has seq ${env.seq} after seq ${seqs.length}`)
        flagged = true
      }
      seqs[env.seq - 1] = pos
      streamPositions.set(env.stream, seqs)
      try {
        registry.decodeData(env.type, env.v, env.data, pos)
      } catch (e) {
        const what =
          e instanceof UnknownEventType
            ? e.v === undefined ? `unknown event type "${e.type}"` : `unsupported version ${e.v} of event type "${e.type}"`
            : e instanceof EventLogError ? e.detail : String(e)
        report(pos, "schema", `pos ${pos}: ${what}`)
      }
      prevHash = hash
      expected = pos + 1
      prevFlagged = flagged
    }
  }

  if (head === "corrupt") report(lastPos, "head", "the head record is unreadable")
  else if (head === null) {
    if (events > 0) report(lastPos, "head", `the head record is missing (log has ${events} events)`)
  } else if (head.pos > lastPos) {
    report(lastPos + 1, "truncated", `log ends at pos ${lastPos} but the head record says ${head.pos}: ${head.pos - lastPos} event(s) cut from the tail`)
  } else if (head.pos < lastPos) {
    report(head.pos, "head", `the head record says pos ${head.pos} but the log goes on to pos ${lastPos}`)
  } else if (head.hash !== prevHash && !prevFlagged) {
    report(lastPos, "edited", `pos ${lastPos}: content does not match the head record's hash (event edited)`)
  }

  let indexed = 0
  for await (const chunk of kv.entries(allStreamsRange())) {
    for (const [key, value] of chunk) {
      const { stream, seq } = parseStreamKey(key)
      const pos = value.length === 8 ? readU64be(value) : -1
      if (streamPositions.get(stream)?.[seq - 1] === pos) indexed++
      else if (problems.length === 0) report(Math.max(pos, 0), "index", `stream index: ${stream}#${seq} points to pos ${pos}, which is not that event`)
    }
  }
  if (indexed < events && problems.length === 0) report(0, "index", `stream index: ${events - indexed} event(s) have no index entry`)

  // Integrity first (a payload that fails its schema is usually the echo of an edit), each group
  // in log order; sort is stable.
  problems.sort((a, b) => Number(a.kind === "schema") - Number(b.kind === "schema"))
  return {
    ok: problems.length === 0,
    events,
    streams: streamPositions.size,
    lastPos,
    head: head === "corrupt" ? null : head,
    problems,
  }
}
