/**
 * Strings a projection keeps for the whole replay, copied so that they share no memory with the
 * records they were read from.
 *
 * msgpackr's native string extraction decodes all of a record's strings as one string and hands
 * out slices of it; V8 keeps a slice of 13 characters or more as a view that holds the whole
 * parent alive, and a template string holds its parts (deployment ids, checksums). The history
 * of a 100k-event log (12.5k transactions) kept ~33 MB of record strings alive that way: more
 * for every old-generation GC of the replay to mark, and more promoted by every scavenge.
 * Slicing a fresh concatenation makes V8 flatten it into a new string of about the same length.
 */
export const own = (s: string): string => (s.length < 13 ? s : (" " + s).slice(1))

/** An array of strings, each `own`. */
export const ownAll = (a: ReadonlyArray<string>): string[] => a.map(own)
