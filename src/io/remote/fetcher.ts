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

  const once = async (path: string, g: GetOptions): Promise<Buffer | undefined> => {
    let res
    try {
      res = await pool.request({ path: prefix + path, method: "GET", signal: opts.signal })
    } catch (e) {
      throw describe(e)
    }
    if (res.statusCode === 404 || res.statusCode === 410) {
      await res.body.dump().catch(() => undefined)
      if (g.optional) return undefined
      throw new Attempt("not found", false, 404)
    }
    if (res.statusCode !== 200) {
      await res.body.dump().catch(() => undefined)
      throw new Attempt(`server returned HTTP ${res.statusCode}`, res.statusCode >= 500 || res.statusCode === 429, res.statusCode)
    }
    const declared = Number(res.headers["content-length"] ?? -1)
    if (g.maxBytes !== undefined && declared > g.maxBytes) {
      await res.body.dump().catch(() => undefined)
      throw new Attempt(`larger than ${g.maxBytes} bytes`, false)
    }
    // The body lands in a buffer of its own (never a slice of Node's shared pool), so callers may
    // transfer it to a worker thread; with a Content-Length it is filled in place, chunk by chunk.
    const body = declared >= 0 && declared <= PREALLOC_MAX ? Buffer.allocUnsafeSlow(declared) : undefined
    const chunks: Buffer[] = []
    let n = 0
    try {
      for await (const c of res.body) {
        const b = c as Buffer
        if (body) {
          if (n + b.length > declared) throw new Attempt(`body longer than its Content-Length (${declared} bytes)`, true)
          b.copy(body, n)
        } else chunks.push(b)
        n += b.length
        stats.bytes += b.length
        if (g.maxBytes !== undefined && n > g.maxBytes) throw new Attempt(`larger than ${g.maxBytes} bytes`, false)
      }
    } catch (e) {
      if (e instanceof Attempt) throw e
      throw describe(e)
    }
    if (declared >= 0 && n !== declared) throw new Attempt(`truncated body (${n} of ${declared} bytes)`, true)
    stats.requests++
    return body ?? ownBuffer(chunks, n)
  }

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
