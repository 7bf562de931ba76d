/**
 * Concurrency and memory budgets for the hot paths: a counting semaphore (how many files are in
 * flight) that is also weighted (how many bytes are held in memory at once).
 */
export interface Budget {
  readonly run: <A>(weight: number, f: () => Promise<A>) => Promise<A>
}

export const budget = (capacity: number): Budget => {
  let available = capacity
  const waiting: Array<{ weight: number; go: () => void }> = []
  const pump = (): void => {
    while (waiting.length && waiting[0]!.weight <= available) {
      const w = waiting.shift()!
      available -= w.weight
      w.go()
    }
  }
  return {
    run: async (weight, f) => {
      const w = Math.min(Math.max(weight, 1), capacity)
      if (w <= available && waiting.length === 0) available -= w
      else await new Promise<void>((go) => waiting.push({ weight: w, go }))
      try {
        return await f()
      } finally {
        available += w
        pump()
      }
    },
  }
}
