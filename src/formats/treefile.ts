/**
 * rpm-ostree's treefile (FORMATS.md 7.1): YAML or JSON, includes, merge, expansion. Pure — the
 * file reader is injected. See `treefile/load.ts` for the merge rules.
 */
export { loadTreefile, canonicalJson, type LoadOptions } from "./treefile/load.js"
export { TreefileError, treefileError } from "./treefile/error.js"
export { DEFAULTS, type Treefile, type CheckSpec, type JsonValue } from "./treefile/types.js"
export { FIELDS } from "./treefile/fields.js"
export { splitPackages, substitute } from "./treefile/packages.js"
export { evaluate as evaluateCondition, type VarValue } from "./treefile/conditions.js"
