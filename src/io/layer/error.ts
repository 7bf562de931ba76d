import { OpError } from "../../lib/op-error.js"

/**
 * A failed layering step: `op` names it ("resolve", "fetch", "apply", "commit", …); `detail`
 * names the packages involved, so one line tells the user what to change.
 */
export class LayerError extends OpError("LayerError") {}
