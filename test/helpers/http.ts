/**
 * HTTP servers for pull tests, on 127.0.0.1 only: the real `python3 -m http.server` (interop),
 * and a node:http static server of our own whose answers a test can corrupt per path
 * (flipped bytes, truncated bodies, 404/500, a stalled connection).
 */
import { spawn } from "node:child_process"
import { createServer, type Server } from "node:http"
import { connect, createServer as netServer } from "node:net"
import { readFile } from "node:fs/promises"
import { join } from "node:path"

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = netServer()
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
    s.on("error", reject)
  })

const waitForPort = async (port: number): Promise<void> => {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect(port, "127.0.0.1", () => (c.end(), resolve(true)))
      c.on("error", () => resolve(false))
    })
    if (ok) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`nothing listens on port ${port}`)
}

/** `python3 -m http.server` serving `dir`; stopped at teardown. */
export const pythonServer = async (t: { teardown: (f: () => void) => void }, dir: string): Promise<string> => {
  const port = await freePort()
  const p = spawn("python3", ["-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", dir], { stdio: "ignore" })
  t.teardown(() => void p.kill("SIGTERM"))
  await waitForPort(port)
  return `http://127.0.0.1:${port}`
}

export type Fault = "flip" | "truncate" | "404" | "500" | "stall"

export interface FaultServer {
  readonly url: string
  /** The fault for a request path (relative to the served dir), or undefined to serve it as is. */
  fault: (path: string) => Fault | undefined
  /** Paths requested, in order. */
  readonly log: string[]
}

/** A static file server with injectable faults; stopped at teardown. */
export const faultServer = async (t: { teardown: (f: () => void) => void }, dir: string): Promise<FaultServer> => {
  const state: { fault: FaultServer["fault"]; log: string[] } = { fault: () => undefined, log: [] }
  const sockets = new Set<import("node:net").Socket>()
  const server: Server = createServer(async (req, res) => {
    const path = decodeURIComponent((req.url ?? "/").split("?")[0]!).replace(/^\/+/, "")
    state.log.push(path)
    const f = state.fault(path)
    if (f === "404") return void res.writeHead(404).end()
    if (f === "500") return void res.writeHead(500).end("internal error")
    if (f === "stall") {
      res.writeHead(200, { "content-length": "1000" })
      res.write("x") // then never another byte
      return
    }
    let body: Buffer
    try {
      body = await readFile(join(dir, path))
    } catch {
      return void res.writeHead(404).end()
    }
    if (f === "flip") {
      body = Buffer.from(body)
      const i = body.length >> 1
      body[i] = body[i]! ^ 0x10
    }
    if (f === "truncate") {
      res.writeHead(200, { "content-length": String(body.length) })
      res.write(body.subarray(0, body.length >> 1))
      return void res.socket?.destroy()
    }
    res.writeHead(200, { "content-length": String(body.length) }).end(body)
  })
  server.on("connection", (s) => {
    sockets.add(s)
    s.on("close", () => sockets.delete(s))
  })
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
  t.teardown(() => {
    for (const s of sockets) s.destroy()
    server.close()
  })
  const port = (server.address() as { port: number }).port
  return {
    url: `http://127.0.0.1:${port}`,
    get fault() {
      return state.fault
    },
    set fault(f) {
      state.fault = f
    },
    log: state.log,
  }
}

export interface AsyncResult { readonly status: number; readonly stdout: string; readonly stderr: string }

/** Runs a command without blocking this process's event loop (an in-process server must answer it). */
export const runAsync = (cmd: string, args: ReadonlyArray<string>, env: Record<string, string> = {}): Promise<AsyncResult> =>
  new Promise((resolve) => {
    const p = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    p.stdout.on("data", (d) => (stdout += d))
    p.stderr.on("data", (d) => (stderr += d))
    p.on("close", (code) => resolve({ status: code ?? -1, stdout, stderr }))
  })

/** The strata CLI, asynchronously. */
export const strataAsync = (args: ReadonlyArray<string>, env: Record<string, string> = {}): Promise<AsyncResult> =>
  runAsync(process.execPath, [join(process.cwd(), "bin", "strata.js"), ...args], env)
