/**
 * Runs a transaction's actor until it settles: done (final state), error (a step or the machine
 * failed), broken (the journal could not append: the log may lag the disk) or stalled (active
 * with no step running — a transaction machine must always be running a step or be final; it
 * never waits for outside events or `after` timers, which do not survive a restore).
 */
import type { Actor, AnyStateMachine } from "xstate"
import type { Session } from "./session.js"

export type DriveResult =
  | { readonly status: "done"; readonly output: unknown }
  | { readonly status: "error"; readonly error: unknown }
  | { readonly status: "broken"; readonly error: unknown }
  | { readonly status: "stalled"; readonly value: unknown }

export const drive = (session: Session, actor: Actor<AnyStateMachine>): Promise<DriveResult> =>
  new Promise((resolve) => {
    let settled = false
    const finish = (r: DriveResult): void => {
      if (settled) return
      settled = true
      resolve(r)
    }
    session.onFailure((error) => finish({ status: "broken", error }))
    actor.subscribe({
      next: (snap) => {
        session.observe()
        if (snap.status === "done") finish({ status: "done", output: snap.output })
        else if (snap.status === "active" && session.idle()) finish({ status: "stalled", value: snap.value })
      },
      error: (error) => finish({ status: "error", error }),
    })
    actor.start()
  })
