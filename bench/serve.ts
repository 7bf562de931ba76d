/**
 * A static file server for benchmarks: node:http with keep-alive, files read whole and sent with
 * their length. Run as its own process so the benchmark harness (blocked in spawnSync while a
 * tool runs) never stalls it. Usage: node dist/bench/serve.js DIR PORT
 */
import { createServer } from "node:http"
import { readFile } from "node:fs/promises"
import { join, normalize } from "node:path"

const [dir, port] = process.argv.slice(2)
if (!dir || !port) {
  console.error("usage: serve.js DIR PORT")
  process.exit(2)
}
const server = createServer(async (req, res) => {
  const rel = normalize(decodeURIComponent((req.url ?? "/").split("?")[0]!)).replace(/^(\.\.\/|\/)+/, "")
  try {
    const body = await readFile(join(dir, rel))
    res.writeHead(200, { "content-length": String(body.length), "content-type": "application/octet-stream" }).end(body)
  } catch {
    res.writeHead(404, { "content-length": "0" }).end()
  }
})
server.keepAliveTimeout = 60_000
server.listen(Number(port), "127.0.0.1", () => process.stdout.write("listening\n"))
