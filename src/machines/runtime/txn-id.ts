/**
 * Transaction ids: ULIDs (26 Crockford base32 characters: 48-bit milliseconds, then 80 random
 * bits), so `txn-<id>` streams sort by start time. Ids made in the same millisecond increment the
 * random part, so they stay ordered within one process too.
 */
import { randomBytes } from "node:crypto"

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

const encodeTime = (ms: number): string => {
  let out = ""
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[ms % 32] + out
    ms = Math.floor(ms / 32)
  }
  return out
}

/** 16 base32 digits of randomness, as numbers 0..31. */
const freshRandom = (): number[] => [...randomBytes(16)].map((b) => b & 31)

const increment = (digits: number[]): number[] => {
  const next = [...digits]
  for (let i = next.length - 1; i >= 0; i--) {
    if (next[i]! < 31) {
      next[i]!++
      return next
    }
    next[i] = 0
  }
  return freshRandom() // 2^80 ids in one millisecond: cannot happen
}

/** An id generator with its own "last id" (tests); `newTxnId` is the process's one. */
export const makeTxnIdFactory = (): ((now?: number) => string) => {
  let lastMs = -1
  let lastRand: number[] = []
  return (now = Date.now()) => {
    // Never go back, even if the clock does: ids of one process stay in creation order.
    const ms = Math.max(now, lastMs)
    lastRand = ms === lastMs ? increment(lastRand) : freshRandom()
    lastMs = ms
    return encodeTime(ms) + lastRand.map((d) => ALPHABET[d]).join("")
  }
}

export const newTxnId = makeTxnIdFactory()

/** The start time encoded in an id (ms since the epoch). */
export const txnIdTime = (id: string): number => {
  let ms = 0
  for (const c of id.slice(0, 10)) ms = ms * 32 + ALPHABET.indexOf(c)
  return ms
}
