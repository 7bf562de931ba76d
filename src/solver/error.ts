import { OpError } from "../lib/op-error.js"

/**
 * A request the solver cannot act on — a spec nothing matches, a damaged pool snapshot — as
 * opposed to an unsolvable one, which is an answer (SolveResult.problems), not an error.
 */
export class SolverError extends OpError("SolverError") {}
