import type { Reason } from "../../lib/error.js"
import { OpError } from "../../lib/op-error.js"

/**
 * A compose that cannot go on: `op` names the step ("compose resolve", "compose download",
 * "compose postprocess", …), the message is one line for the CLI.
 */
export class ComposeError extends OpError("ComposeError") {}

export const composeError = (op: string, reason: Reason, detail: string, path?: string): ComposeError =>
  new ComposeError({ op, reason, detail, ...(path !== undefined ? { path } : {}) })
