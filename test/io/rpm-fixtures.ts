/**
 * The RPM fixtures, built on first use by fixtures/rpms/build.sh (rpmbuild, gpg, createrepo_c)
 * into fixtures/rpms/.build (gitignored, reused while the specs and script are unchanged).
 */
import { execFileSync } from "node:child_process"
import { readdirSync } from "node:fs"
import { join } from "node:path"

export const fixturesDir = join(process.cwd(), "fixtures", "rpms", ".build")

let built = false
export const rpmFixtures = () => {
  if (!built) {
    execFileSync("bash", [join(process.cwd(), "fixtures", "rpms", "build.sh"), fixturesDir], { stdio: ["ignore", "ignore", "inherit"] })
    built = true
  }
  const rpms = join(fixturesDir, "rpms")
  const byName = (n: string) => join(rpms, readdirSync(rpms).find((f) => f.startsWith(`${n}-`) && /^\d/.test(f.slice(n.length + 1)))!)
  return {
    dir: fixturesDir,
    rpmsDir: rpms,
    all: readdirSync(rpms).filter((f) => f.endsWith(".rpm")).sort().map((f) => join(rpms, f)),
    basic: byName("strata-basic"),
    lib: byName("strata-lib"),
    tools: byName("strata-tools"),
    signed: byName("strata-signed"),
    /** A bzip2 payload (not in rpms/ nor in the repositories). */
    bzip2: join(fixturesDir, "rpms-bzip2", "strata-bzip2-1.0-1.noarch.rpm"),
    key: join(fixturesDir, "RPM-GPG-KEY-strata-test"),
    otherKey: join(fixturesDir, "RPM-GPG-KEY-strata-other"),
    repo: (comp: "gz" | "xz" | "zstd") => join(fixturesDir, `repo-${comp}`),
  }
}
