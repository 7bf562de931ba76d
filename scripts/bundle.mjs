#!/usr/bin/env node
// Bundles the compiled CLI (dist/, tsc's output) into dist/bundle/ with esbuild, so a command
// loads two files instead of the 20–120 ES modules it imports: Node's ESM loader costs ~0.3 ms a
// module (resolution, an async read, compilation, linking) and ~3 ms to start at all.
//
// The bundles are CommonJS, which bin/strata.js compiles with node:vm and a V8 code cache (ES
// modules have no code-cache API in Node 20): main.cjs (cli/main.ts), commands.cjs (every command,
// for help) and one file per command module of the manifest, e.g. repo__commit.cjs. Each holds
// everything its module imports; imports that were lazy (`await import(…)`) stay lazy — esbuild
// initializes such a module on first use.
//
// What the bundle must keep working:
//  - import.meta.url: each module's use is rewritten to the URL of its own dist/ file, so worker
//    entry files (new URL("./x-worker.js", import.meta.url)), createRequire(import.meta.url) of
//    native or CommonJS packages, and package.json / manifest.json reads resolve as in dist/.
//    Workers therefore run dist/ code, as they always did.
//  - packages with native code, CommonJS internals or data files stay external (loaded from
//    node_modules as before); the pure-ESM ones the commands import (effect, xstate, yaml) are
//    bundled.
//  - staleness: dist/bundle/stamp holds the mtime of dist/cli/main.js at bundle time; tsc
//    rewrites every output on each run, so bin/strata.js runs the bundle only while the stamp
//    matches (a later `npx tsc -p .` sends it back to dist/ until the next bundle).
// Without esbuild installed (a production install without devDependencies) there is no bundle
// and bin/strata.js runs dist/.
//
// Usage: node scripts/bundle.mjs [--out=DIR]   (default dist/bundle; tests bundle elsewhere)
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { dirname, join, relative, resolve, sep } from "node:path"
import { fileURLToPath } from "node:url"
import { randomBytes } from "node:crypto"

const root = fileURLToPath(new URL("../", import.meta.url))
const dist = join(root, "dist")
const outArg = process.argv.slice(2).find((a) => a.startsWith("--out="))?.slice(6)
const out = outArg ? resolve(outArg) : join(dist, "bundle")
const mainJs = join(dist, "cli", "main.js")

rmSync(out, { recursive: true, force: true })
let esbuild
try {
  esbuild = await import("esbuild")
} catch {
  console.warn("bundle: esbuild is not installed; bin/strata.js will run dist/ unbundled")
  process.exit(0)
}
if (!existsSync(mainJs)) throw new Error("bundle: no dist/cli/main.js; run `tsc -p .` first")

/** The bundle file of a manifest module: "./repo/commit.js" → "repo__commit" (bin/strata.js does the same). */
const bundleName = (module) => module.slice(2, -3).replaceAll("/", "__")
const manifest = JSON.parse(readFileSync(join(dist, "cli", "manifest.json"), "utf8"))
const modules = [...new Set(manifest.map((e) => e.module)), "./commands.js"]
const entryPoints = { main: mainJs, ...Object.fromEntries(modules.map((m) => [bundleName(m), join(dist, "cli", m)])) }

// Packages with native code, CommonJS internals or data files of their own stay in node_modules.
const external = ["level", "classic-level", "lzma-native", "@napi-rs/xattr", "node-sqlite3-wasm", "msgpackr", "undici", "openpgp", "cli-progress", "saxes", "fzstd"]

/** Rewrites import.meta.url to the dist/ file's own URL, from the bundle's directory. */
const metaUrl = {
  name: "import-meta-url",
  setup(build) {
    build.onLoad({ filter: /\.js$/ }, (args) => {
      if (!args.path.startsWith(dist + sep)) return undefined
      const text = readFileSync(args.path, "utf8")
      const rel = relative(out, args.path).split(sep).join("/")
      // every bundle lands directly in the output directory, whose file URL (ending in "/")
      // bin/strata.js passes as __strataBundleUrl; not through `require`, which a module may
      // declare itself (const require = createRequire(import.meta.url))
      const url = `new URL(${JSON.stringify(rel)}, __strataBundleUrl).href`
      return { contents: text.replaceAll("import.meta.url", url), loader: "js", resolveDir: dirname(args.path) }
    })
  },
}

/**
 * node:fs/promises, loaded on first use: requiring it loads Node's readline and streams modules,
 * ~3.5 ms of CPU at start-up, which commands that never call it (status reading its few files
 * synchronously) should not pay. Every export is a function calling fs.promises (a lazy getter)
 * when called; `constants` is fs.constants. The names are this Node's, read at bundle time.
 */
const lazyFsPromises = {
  name: "lazy-fs-promises",
  setup(build) {
    build.onResolve({ filter: /^(node:)?fs\/promises$/ }, () => ({ path: "fs/promises", namespace: "lazy-fs-promises" }))
    build.onLoad({ filter: /.*/, namespace: "lazy-fs-promises" }, async () => {
      const { promises } = await import("node:fs")
      const names = Object.keys(promises).filter((n) => n !== "constants" && typeof promises[n] === "function")
      const contents = [
        `import { constants as fsConstants, promises as lazy } from "node:fs"`,
        `export const constants = fsConstants`,
        ...names.map((n) => `export const ${n} = (...args) => lazy.${n}(...args)`),
        `export default { constants, ${names.join(", ")} }`,
      ].join("\n")
      return { contents, loader: "js", resolveDir: root }
    })
  },
}

const stamp = statSync(mainJs).mtimeMs
await esbuild.build({
  entryPoints,
  outdir: out,
  outExtension: { ".js": ".cjs" },
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  // import() of node builtins and external packages becomes require(): a vm.Script's dynamic
  // import needs a loader option that Node 20 still calls experimental (and warns about)
  supported: { "dynamic-import": false },
  external,
  plugins: [metaUrl, lazyFsPromises],
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: "none",
  logLevel: "warning",
})
// last: a bundle without its stamp is never run. The build id names the code caches
// bin/strata.js writes (V8 checks a cache only against its source's length).
writeFileSync(join(out, "stamp"), `${stamp}\n${randomBytes(8).toString("hex")}`)
