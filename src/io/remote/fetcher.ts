/**
 * Fetching repository files from a remote (ostree-fetcher-curl.c's job): `http(s)://` through an
 * undici Pool — keep-alive connections, several requests in flight on each origin — and
 * `file://` by reading the file. One fetcher per base URL.
 *
 * Failures are classified the way ostree's _ostree_fetcher_should_retry_request does: a
 * connection reset, a stall (no byte for `timeoutMs`), a truncated body or a 5xx answer is
 * transient and retried with backoff, up to `retries` times; a 404 is "not there" (optional
 * files return undefined); any other status is final. Every body is checked against its
 * Content-Length, so a truncated transfer can never pass as a short file.
 */
import { readFile } from "node:fs/promises"
import { fileURLToPath } from "node:url"
import { Pool } from "undici"
import { RemoteError } from "./error.js"

export interface FetcherOptions {
  /** Base URL; paths are resolved below it. */
  readonly url: string
  /** Keep-alive connections to the origin. */
  readonly connections?: number
  /** A request fails when no byte arrives for this long (STRATA_HTTP_TIMEOUT_MS overrides the default). */
  readonly timeoutMs?: number
  /** Retries of a transient failure (ostree's n-network-retries, default 5; STRATA_HTTP_RETRIES). */
  readonly retries?: number
  readonly signal?: AbortSignal
}

export interface GetOptions {
  /** A 404 returns undefined instead of failing. */
  readonly optional?: boolean
  /** Refuse bodies larger than this. */
  readonly maxBytes?: number
}

export interface Fetcher {
  readonly baseUrl: string
  readonly get: (path: string, opts?: GetOptions) => Promise<Buffer | undefined>
  /** Requests answered and body bytes received, for progress. */
  readonly stats: { requests: number; bytes: number }
  readonly close: () => Promise<void>
}

/** Bodies up to this size are read into one buffer allocated from the Content-Length. */
const PREALLOC_MAX = 512 << 20

/** `chunks` joined into a buffer that owns its whole ArrayBuffer (transferable). */
export const ownBuffer = (chunks: ReadonlyArray<Uint8Array>, n = chunks.reduce((a, c) => a + c.length, 0)): Buffer => {
  const first = chunks[0]
  if (chunks.length === 1 && first!.byteOffset === 0 && first!.buffer.byteLength === n && Buffer.isBuffer(first)) return first
  const out = Buffer.allocUnsafeSlow(n)
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.length
  }
  return out
}

const envInt = (name: string): number | undefined => {
  const v = Number(process.env[name])
  return Number.isInteger(v) && v >= 0 ? v : undefined
}

/** Why a request failed, and whether trying again may help. */
class Attempt extends Error {
  constructor(readonly detail: string, readonly transient: boolean, readonly status?: number) {
    super(detail)
  }
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms)
    signal?.addEventListener("abort", () => (clearTimeout(t), reject(signal.reason)), { once: true })
  })

/** undici's error codes and Node's socket errors that mean "the connection failed, try again". */
const describe = (e: unknown): Attempt => {
  const err = e as { code?: string; message?: string; name?: string }
  const code = err?.code ?? ""
  if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT" || code === "UND_ERR_CONNECT_TIMEOUT") {
    return new Attempt("timed out waiting for data", true)
  }
  if (code === "UND_ERR_SOCKET" || code === "ECONNRESET" || code === "EPIPE" || code === "UND_ERR_CLOSED") {
    return new Attempt("connection closed before the transfer completed", true)
  }
  if (code === "ECONNREFUSED") return new Attempt("connection refused", true)
  if (code === "UND_ERR_RES_CONTENT_LENGTH_MISMATCH") return new Attempt("body does not match its Content-Length", true)
  return new Attempt(err?.message ?? String(e), code.startsWith("E") || code.startsWith("UND_ERR"))
}

export const makeFetcher = (opts: FetcherOptions): Fetcher => {
  const base = opts.url.endsWith("/") ? opts.url : `${opts.url}/`
  const stats = { requests: 0, bytes: 0 }
  const retries = opts.retries ?? envInt("STRATA_HTTP_RETRIES") ?? 5
  const op = "fetch"
  if (base.startsWith("file://")) {
    const root = fileURLToPath(base)
    return {
      baseUrl: base, stats, close: async () => undefined,
      get: async (path, g = {}) => {
        try {
          const b = ownBuffer([await readFile(root + path)])
          stats.requests++
          stats.bytes += b.length
          if (g.maxBytes !== undefined && b.length > g.maxBytes) {
            throw new RemoteError({ op, reason: "Invalid", url: base + path, detail: `larger than ${g.maxBytes} bytes` })
          }
          return b
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === "ENOENT") {
            if (g.optional) return undefined
            throw new RemoteError({ op, reason: "NotFound", url: base + path, detail: "not found" })
          }
          if (e instanceof RemoteError) throw e
          throw new RemoteError({ op, reason: "Io", url: base + path, detail: (e as Error).message })
        }
      },
    }
  }
  let origin: URL
  try {
    origin = new URL(base)
  } catch {
    throw new RemoteError({ op, reason: "Invalid", detail: `invalid URL "${opts.url}"` })
  }
  if (origin.protocol !== "http:" && origin.protocol !== "https:") {
    throw new RemoteError({ op, reason: "Unsupported", detail: `unsupported URL scheme "${origin.protocol}"` })
  }
  const timeout = opts.timeoutMs ?? envInt("STRATA_HTTP_TIMEOUT_MS") ?? 30_000
  const pool = new Pool(origin.origin, {
    connections: opts.connections ?? 8,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    headersTimeout: timeout,
    bodyTimeout: timeout,
    connectTimeout: timeout,
  })
  const prefix = origin.pathname

  /*
   * One GET through undici's dispatch API: the handler copies each chunk straight into the body
   * buffer — no response stream, async iterator or header object per request (with ~14k objects
   * per pull, that per-request machinery was a good part of the main thread's work).
   */
  const once = (path: string, g: GetOptions): Promise<Buffer | undefined> =>
    new Promise((resolve, reject) => {
      let status = 0
      let declared = -1
      let body: Buffer | undefined
      const chunks: Buffer[] = []
      let n = 0
      let abort: ((e: Error) => void) | undefined
      let done = false
      const finish = (e: unknown, b?: Buffer): void => {
        if (done) return
        done = true
        opts.signal?.removeEventListener("abort", onAbort)
        if (e) reject(e instanceof Attempt ? e : describe(e))
        else resolve(b)
      }
      const stop = (e: Attempt): false => {
        abort?.(e)
        finish(e)
        return false
      }
      const onAbort = (): void => void stop(new Attempt("cancelled", false))
      if (opts.signal?.aborted) return finish(new Attempt("cancelled", false))
      opts.signal?.addEventListener("abort", onAbort, { once: true })
      pool.dispatch({ path: prefix + path, method: "GET" }, {
        onConnect: (a: (e: Error) => void) => void (abort = a),
        onHeaders: (statusCode: number, raw: Buffer[]) => {
          status = statusCode
          if (statusCode !== 200) return true // its body is read and dropped; the status decides at the end
          for (let i = 0; i + 1 < raw.length; i += 2) {
            if (raw[i]!.length === 14 && raw[i]!.toString("latin1").toLowerCase() === "content-length") declared = Number(raw[i + 1]!.toString("latin1"))
          }
          if (g.maxBytes !== undefined && declared > g.maxBytes) return stop(new Attempt(`larger than ${g.maxBytes} bytes`, false))
          // The body lands in a buffer of its own (never a slice of Node's shared pool), so callers
          // may transfer it to a worker thread; with a Content-Length it is filled in place.
          if (declared >= 0 && declared <= PREALLOC_MAX) body = Buffer.allocUnsafeSlow(declared)
          return true
        },
        onData: (chunk: Buffer) => {
          if (status !== 200 || done) return true
          if (body) {
            if (n + chunk.length > declared) return stop(new Attempt(`body longer than its Content-Length (${declared} bytes)`, true))
            chunk.copy(body, n)
          } else chunks.push(chunk)
          n += chunk.length
          stats.bytes += chunk.length
          if (g.maxBytes !== undefined && n > g.maxBytes) return stop(new Attempt(`larger than ${g.maxBytes} bytes`, false))
          return true
        },
        onComplete: () => {
          if (status === 404 || status === 410) return g.optional ? finish(undefined, undefined) : finish(new Attempt("not found", false, 404))
          if (status !== 200) return finish(new Attempt(`server returned HTTP ${status}`, status >= 500 || status === 429, status))
          if (declared >= 0 && n !== declared) return finish(new Attempt(`truncated body (${n} of ${declared} bytes)`, true))
          stats.requests++
          finish(undefined, body ?? ownBuffer(chunks, n))
        },
        onError: (e: Error) => finish(e),
      })
    })

  return {
    baseUrl: base,
    stats,
    close: () => pool.close().catch(() => undefined),
    get: async (path, g = {}) => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await once(path, g)
        } catch (e) {
          if (opts.signal?.aborted) throw new RemoteError({ op, reason: "Io", url: base + path, detail: "cancelled" })
          const a = e instanceof Attempt ? e : describe(e)
          if (!a.transient || attempt >= retries) {
            const reason = a.status === 404 ? "NotFound" : "Network"
            const tries = attempt > 0 ? ` after ${attempt + 1} attempts` : ""
            throw new RemoteError({ op, reason, url: base + path, detail: `${a.detail}${tries}` })
          }
          await sleep(Math.min(2000, 100 * 2 ** attempt), opts.signal)
        }
      }
    },
  }
}
