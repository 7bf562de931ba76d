/**
 * Architecture policy, as libsolv models it for rpm. A system arch accepts a list of arches,
 * best first; each gets a score whose high 16 bits are its class (every ':' in the policy starts
 * a new class) and low bits its rank inside the class. noarch scores 1 and goes everywhere; 0
 * means "cannot be installed here". Choosing among providers keeps the best class only, so on
 * x86_64 a dependency picks x86_64 over i686 even when both exist (multilib by request only).
 *
 * Colors decide which same-name packages may be installed side by side: 64-bit and 32-bit
 * builds of one name can (glibc.x86_64 + glibc.i686), like dnf's
 * POOL_FLAG_IMPLICITOBSOLETEUSESCOLORS; noarch shares a color with everything.
 */
const POLICIES: Record<string, string> = {
  x86_64_v4: "x86_64_v4:x86_64_v3:x86_64_v2:x86_64:athlon:i686:i586:i486:i386",
  x86_64_v3: "x86_64_v3:x86_64_v2:x86_64:athlon:i686:i586:i486:i386",
  x86_64_v2: "x86_64_v2:x86_64:athlon:i686:i586:i486:i386",
  x86_64: "x86_64:athlon:i686:i586:i486:i386",
  amd64: "amd64:x86_64:athlon:i686:i586:i486:i386",
  athlon: "athlon:i686:i586:i486:i386",
  i686: "i686:i586:i486:i386",
  i586: "i586:i486:i386",
  i486: "i486:i386",
  aarch64: "aarch64",
  s390x: "s390x:s390",
  ppc64le: "ppc64le",
  ppc64: "ppc64:ppc",
  riscv64: "riscv64",
  armv7hl: "armv7hl:armv6hl",
}

export const NOARCH = new Set(["noarch", "all", "any"])

export const COLOR_32 = 1
export const COLOR_64 = 2
export const COLOR_ALL = 3

export interface ArchPolicy {
  /** The system arch this policy is for ("" = no policy: every arch is accepted, none preferred). */
  readonly arch: string
  /** 0: not installable here; 1: noarch; otherwise lower is better, class in the high 16 bits. */
  score(arch: string): number
  color(arch: string): number
}

const colorOf = (arch: string): number => (NOARCH.has(arch) ? COLOR_ALL : arch === "s390x" || arch.includes("64") ? COLOR_64 : COLOR_32)

/**
 * A policy for `arch`: a known system arch, or an explicit policy string ("x86_64:i686>i586",
 * '>' keeping the class). "" or "*" gives no policy at all, like libsolv's unset arch.
 */
export const archPolicy = (arch: string): ArchPolicy => {
  if (arch === "" || arch === "*" || arch === "unset") return { arch: "", score: () => 1, color: () => COLOR_ALL }
  const spec = POLICIES[arch] ?? arch
  const scores = new Map<string, number>()
  let score = 0x10001
  let sep = ""
  for (const m of spec.matchAll(/([^:>=]+)([:>=]?)/g)) {
    if (sep === ":") score += 0x10000
    else if (sep === ">") score += 1
    if (!scores.has(m[1]!)) scores.set(m[1]!, score)
    sep = m[2]!
  }
  for (const n of NOARCH) scores.set(n, 1)
  return { arch: spec.split(/[:>=]/)[0]!, score: (a) => scores.get(a) ?? 0, color: colorOf }
}

/** Whether two packages' arches let them share a name on one system (libsolv's colormatch). */
export const colorsMatch = (policy: ArchPolicy, a: string, b: string): boolean =>
  a === b || (policy.color(a) & policy.color(b)) !== 0
