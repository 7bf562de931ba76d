/** Resolving a rev (`ref`, `remote:ref`, checksum or prefix, with `^`s) to a commit checksum. */
import type { Checksum } from "../../formats/ostree/index.js"
import { loadCommit } from "./object-read.js"
import { resolveRev } from "./refs.js"
import type { Repo } from "./repo.js"

export const parentOf = (repo: Repo) => async (csum: Checksum): Promise<Checksum | null> => (await loadCommit(repo, csum)).parent

export const revParse = (repo: Repo, rev: string): Promise<Checksum> => resolveRev(repo, rev, parentOf(repo))
