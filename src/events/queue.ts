/**
 * A serial queue: tasks run one at a time in submission order. The log has one writer per
 * process, and this is how concurrent `append` calls become one ordered sequence of batches
 * (each sees the head and stream versions the previous one left).
 */
export interface SerialQueue {
  readonly run: <A>(task: () => Promise<A>) => Promise<A>
  /** Resolves when every task submitted so far has settled. */
  readonly drain: () => Promise<void>
}

export const makeSerialQueue = (): SerialQueue => {
  let tail: Promise<unknown> = Promise.resolve()
  return {
    run: <A>(task: () => Promise<A>): Promise<A> => {
      const result = tail.then(task)
      // A failed task must not poison the queue for the next caller.
      tail = result.then(
        () => undefined,
        () => undefined,
      )
      return result
    },
    drain: () => tail.then(() => undefined),
  }
}
