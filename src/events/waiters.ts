/**
 * In-process wake-ups for live subscriptions: a subscriber that has caught up parks here until
 * an append moves the head (or the log closes, or its AbortSignal fires).
 */
export interface Waiters {
  /** Resolves once `ready()` is true, checked again at every `wake()`. */
  readonly until: (ready: () => boolean, signal?: AbortSignal) => Promise<void>
  readonly wake: () => void
}

export const makeWaiters = (): Waiters => {
  const parked = new Set<() => void>()
  return {
    until: (ready, signal) =>
      new Promise<void>((resolve) => {
        if (ready() || signal?.aborted) return resolve()
        const check = (): void => {
          if (ready() || signal?.aborted) {
            parked.delete(check)
            signal?.removeEventListener("abort", check)
            resolve()
          }
        }
        parked.add(check)
        signal?.addEventListener("abort", check, { once: true })
      }),
    wake: () => {
      for (const check of [...parked]) check()
    },
  }
}
