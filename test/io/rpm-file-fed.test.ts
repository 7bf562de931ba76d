/**
 * xz and zstd payloads are decoded by a child process that reads the package file itself
 * (io/rpm/decompress.ts fileFedDecoder) while strata hashes the same bytes: the payload digest,
 * the bomb limits and the nothing-left-behind rule must hold on that path as on the piped one,
 * and xz's skipped integrity check (--ignore-check) must not let a damaged payload through.
 */
import t from "tap"
import { execFileSync } from "node:child_process"
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { tmp } from "../helpers/tmp.js"
import { rejectsRpmError } from "../helpers/rpm-error.js"
import { writePackage, type WriteFile } from "../../src/formats/rpm/package-write.js"
import { unpackPackage } from "../../src/io/rpm/unpack.js"
import { verifyPackage } from "../../src/io/rpm/verify.js"
import { readPackageFront } from "../../src/io/rpm/read.js"


const has = (bin: string): boolean => {
  try {
    execFileSync("sh", ["-c", `command -v ${bin}`], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
}

const COMPRESSORS = [
  { name: "xz", compress: (b: Buffer) => execFileSync("xz", ["-c", "--check=sha256"], { input: b, maxBuffer: 1 << 30 }) },
  { name: "zstd", compress: (b: Buffer) => execFileSync("zstd", ["-c", "-q"], { input: b, maxBuffer: 1 << 30 }) },
]

const files = (tag: string): WriteFile[] => [
  { path: "/usr/share/d/a", mode: 0o100644, data: Buffer.from(`a ${tag}\n`.repeat(5000)) },
  { path: "/usr/share/d/l", mode: 0o120777, linkto: "a" },
  { path: "/usr/bin/x", mode: 0o100755, data: Buffer.from(`#!/bin/sh\necho ${tag}\n`) },
]

for (const c of COMPRESSORS) {
  t.test(`${c.name}: unpacked from the file by the decoder, verified`, { skip: !has(c.name) && `no ${c.name}` }, async (t) => {
    const dir = tmp(t)
    writeFileSync(join(dir, "ok.rpm"), writePackage({ name: "ok", files: files("good"), compressor: c }))
    const r = await unpackPackage({ path: join(dir, "ok.rpm"), dest: join(dir, "out") })
    t.equal(r.files, 3)
    t.equal(readFileSync(join(dir, "out/usr/bin/x"), "utf8"), "#!/bin/sh\necho good\n")
    t.equal(readFileSync(join(dir, "out/usr/share/d/l"), "utf8"), readFileSync(join(dir, "out/usr/share/d/a"), "utf8"))
    const v = await verifyPackage({ path: join(dir, "ok.rpm") })
    t.ok(v.digestsOk, "pkg verify agrees")
  })

  t.test(`${c.name}: a damaged or swapped payload is refused by its digest, nothing left`, { skip: !has(c.name) && `no ${c.name}` }, async (t) => {
    const dir = tmp(t)
    const good = writePackage({ name: "p", files: files("good"), compressor: c })
    const pkg = (() => {
      writeFileSync(join(dir, "good.rpm"), good)
      return readPackageFront(join(dir, "good.rpm"))
    })()
    // a flipped byte in the middle of the compressed stream
    const flipped = Buffer.from(good)
    flipped[pkg.payloadOffset + Math.floor((good.length - pkg.payloadOffset) / 2)]! ^= 0x55
    writeFileSync(join(dir, "flipped.rpm"), flipped)
    await rejectsRpmError(t, unpackPackage({ path: join(dir, "flipped.rpm"), dest: join(dir, "out") }), /digest mismatch|payload/, "flipped byte")
    // a valid stream of other content under the good header (decodes fine: only the digest can tell)
    const evil = writePackage({ name: "p", files: files("evil"), compressor: c })
    const evilFront = (() => {
      writeFileSync(join(dir, "evil-src.rpm"), evil)
      return readPackageFront(join(dir, "evil-src.rpm"))
    })()
    writeFileSync(join(dir, "swapped.rpm"), Buffer.concat([good.subarray(0, pkg.payloadOffset), evil.subarray(evilFront.payloadOffset)]))
    await rejectsRpmError(t, unpackPackage({ path: join(dir, "swapped.rpm"), dest: join(dir, "out") }), /digest mismatch/, "swapped payload")
    // cut short
    writeFileSync(join(dir, "cut.rpm"), good.subarray(0, good.length - 20))
    await rejectsRpmError(t, unpackPackage({ path: join(dir, "cut.rpm"), dest: join(dir, "out") }), /digest mismatch|truncated|payload/, "truncated")
    t.same(readdirSync(dir).filter((n) => !n.endsWith(".rpm")), [], "no output, no staging left")
  })

  t.test(`${c.name}: a decompression bomb stops at the declared size, the hard cap or the ratio`, { skip: !has(c.name) && `no ${c.name}` }, async (t) => {
    const dir = tmp(t)
    const big = Buffer.alloc(64 * 1024 * 1024)
    writeFileSync(join(dir, "lying.rpm"), writePackage({ name: "bomb", files: [{ path: "/bomb", mode: 0o100644, data: big }], payloadSize: 4096, compressor: c }))
    await rejectsRpmError(t, unpackPackage({ path: join(dir, "lying.rpm"), dest: join(dir, "out") }), /more than the \d+ bytes its header declares/, "declared size")
    writeFileSync(join(dir, "honest.rpm"), writePackage({ name: "bomb2", files: [{ path: "/bomb", mode: 0o100644, data: big }], compressor: c }))
    await rejectsRpmError(t, unpackPackage({ path: join(dir, "honest.rpm"), dest: join(dir, "out"), limits: { maxRatio: 100, ratioAfter: 1024 * 1024 } }), /expands more than 100:1/, "ratio")
    await rejectsRpmError(t, unpackPackage({ path: join(dir, "honest.rpm"), dest: join(dir, "out"), limits: { maxBytes: 8 * 1024 * 1024 } }), /decompression bomb limit/, "hard cap")
    t.notOk(existsSync(join(dir, "out")))
    t.same(readdirSync(dir).sort(), ["honest.rpm", "lying.rpm"], "nothing left behind")
  })
}
