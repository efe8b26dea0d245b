/**
 * The HTTP plumbing under the registry client, on node:http/https (no automatic body decoding,
 * which would break digest checks): one request with a headers timeout and abort, body reading
 * with an idle (stall) timeout, and the retry limits (attempts, total time, backoff, Retry-After).
 */
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { ImgsizeError } from '../errors.js';
import { limitError, type Limits } from '../limits.js';

/** A response whose body has not been read yet. */
export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: IncomingMessage;
  url: URL;
}

export interface HttpRequestInit {
  method?: 'GET' | 'HEAD' | 'POST';
  headers?: Record<string, string>;
  body?: string | undefined;
  signal?: AbortSignal | undefined;
  /** Max time until the response headers arrive. */
  headersTimeoutMs: number;
  agents: { http: http.Agent; https: https.Agent };
}

/** A failure worth retrying (connection reset, stall, timeout). */
export class TransientError extends Error {
  override readonly name = 'TransientError';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'ERR_STREAM_PREMATURE_CLOSE',
  'HPE_INVALID_CONSTANT',
]);

/** True for network errors worth a retry. */
export function isTransient(e: unknown): boolean {
  if (e instanceof TransientError) return true;
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
  const msg = e instanceof Error ? e.message : '';
  return msg === 'socket hang up' || msg === 'aborted';
}

/** Human words for a network error (no URLs, no headers). */
export function describeNetworkError(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset';
    case 'ENOTFOUND':
      return 'host not found';
    case 'EAI_AGAIN':
      return 'name resolution failed';
    case 'ETIMEDOUT':
      return 'connection timed out';
    case 'STALL':
      return (e as Error).message;
    case 'HEADERS_TIMEOUT':
      return (e as Error).message;
    case 'CERT_HAS_EXPIRED':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `TLS certificate not trusted (${code as string})`;
    case 'EPROTO':
      return 'TLS handshake failed (is it a plain-HTTP registry? use insecure)';
    default:
      return e instanceof Error ? e.message : String(e);
  }
}

/** Sends one request and resolves when the response headers are in. */
export function httpRequest(url: URL, init: HttpRequestInit): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    if (init.signal?.aborted) {
      reject(new ImgsizeError('E_ABORTED', 'aborted', { cause: init.signal.reason }));
      return;
    }
    const mod = url.protocol === 'https:' ? https : http;
    const agent = url.protocol === 'https:' ? init.agents.https : init.agents.http;
    const req = mod.request(url, { method: init.method ?? 'GET', headers: init.headers, agent });
    let settled = false;
    const timer = setTimeout(() => {
      req.destroy(Object.assign(new TransientError(`no response within ${init.headersTimeoutMs} ms`, 'HEADERS_TIMEOUT')));
    }, init.headersTimeoutMs);
    const onAbort = (): void => {
      req.destroy(new ImgsizeError('E_ABORTED', 'aborted', { cause: init.signal?.reason }));
    };
    init.signal?.addEventListener('abort', onAbort, { once: true });
    const cleanup = (): void => {
      clearTimeout(timer);
      init.signal?.removeEventListener('abort', onAbort);
    };
    req.on('response', (res) => {
      settled = true;
      cleanup();
      // Aborting later (while the body is read) must still tear the socket down.
      if (init.signal) {
        const abortBody = (): void => {
          res.destroy(new ImgsizeError('E_ABORTED', 'aborted', { cause: init.signal?.reason }));
        };
        init.signal.addEventListener('abort', abortBody, { once: true });
        res.once('close', () => init.signal?.removeEventListener('abort', abortBody));
      }
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res, url });
    });
    req.on('error', (e) => {
      cleanup();
      if (!settled) reject(e);
    });
    if (init.body !== undefined) req.end(init.body);
    else req.end();
  });
}

/** A transfer slower than `bytesPerSecond`, measured over `windowMs` of waiting, is given up. */
export interface LowSpeedLimit {
  bytesPerSecond: number;
  windowMs: number;
}

/** Default low-speed limit: under 1 KiB/s for a minute of waiting (curl's --speed-limit/--speed-time idea). */
export const DEFAULT_LOW_SPEED: LowSpeedLimit = { bytesPerSecond: 1024, windowMs: 60_000 };

/**
 * Iterates a response body, failing with a TransientError when no byte arrives for `idleMs`
 * (a stalled download), and with E_NETWORK when bytes trickle in slower than `lowSpeed` (a
 * slow-drip server that never stalls long enough for the idle timeout would otherwise hold the
 * download open for days). Both clocks only run while waiting for the network, not while the
 * consumer works on a chunk.
 */
export async function* readWithIdleTimeout(body: IncomingMessage, idleMs: number, lowSpeed: LowSpeedLimit | false = DEFAULT_LOW_SPEED): AsyncGenerator<Buffer> {
  let timer: NodeJS.Timeout | undefined;
  let waitStart = 0;
  let waited = 0;
  let windowBytes = 0;
  const arm = (): void => {
    waitStart = Date.now();
    timer = setTimeout(() => body.destroy(new TransientError(`no data for ${idleMs} ms`, 'STALL')), idleMs);
  };
  arm();
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      clearTimeout(timer);
      if (lowSpeed) {
        waited += Date.now() - waitStart;
        windowBytes += chunk.length;
        if (waited >= lowSpeed.windowMs) {
          if (windowBytes < (lowSpeed.bytesPerSecond * waited) / 1000) {
            throw new ImgsizeError(
              'E_NETWORK',
              `transfer too slow: ${windowBytes} bytes in ${(waited / 1000).toFixed(1)} s of waiting, under ${lowSpeed.bytesPerSecond} bytes/s`,
              { hint: 'a server that drips data is treated as failed; set lowSpeed (bytesPerSecond, windowMs) or false to change this' },
            );
          }
          waited = 0;
          windowBytes = 0;
        }
      }
      yield chunk;
      arm();
    }
  } finally {
    clearTimeout(timer);
    if (!body.destroyed) body.destroy();
  }
}

/**
 * Reads a whole (small) body, failing with E_LIMIT past `max` bytes (naming `limit`, the `Limits`
 * field `max` comes from, when there is one).
 */
export async function readBody(
  res: HttpResponse,
  max: number,
  idleMs: number,
  what: string,
  limit?: keyof Limits,
  lowSpeed: LowSpeedLimit | false = DEFAULT_LOW_SPEED,
): Promise<Buffer> {
  const tooBig = (msg: string): ImgsizeError => (limit ? limitError(limit, max, msg) : new ImgsizeError('E_LIMIT', msg));
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) {
    res.body.destroy();
    throw tooBig(`${what} is ${declared} bytes, over the ${max}-byte limit`);
  }
  const chunks: Buffer[] = [];
  let len = 0;
  for await (const c of readWithIdleTimeout(res.body, idleMs, lowSpeed)) {
    len += c.length;
    if (len > max) throw tooBig(`${what} is over the ${max}-byte limit`);
    chunks.push(c);
  }
  if (Number.isFinite(declared) && len < declared) throw new TransientError(`body ended after ${len} of ${declared} bytes`, 'ECONNRESET');
  return Buffer.concat(chunks);
}

/** Drains and discards a body we do not need (keeps the keep-alive connection usable). */
export function discard(res: HttpResponse): void {
  res.body.resume();
  res.body.on('error', () => undefined);
}

/** How hard to try before giving up. */
export interface RetryOptions {
  /** Attempts per request, the first included (default 5). */
  maxAttempts?: number | undefined;
  /** First backoff delay (default 250 ms), doubled each time with jitter. */
  baseDelayMs?: number | undefined;
  /** Largest single wait, Retry-After included (default 30 s). */
  maxDelayMs?: number | undefined;
  /** Total time one request may spend retrying (default 120 s). */
  maxElapsedMs?: number | undefined;
}

/** Parses Retry-After (delta-seconds or HTTP-date) into milliseconds. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/**
 * Tracks the failures of one logical request (a whole blob download counts as one). Attempts and
 * elapsed time count from the last progress, so a long download that keeps moving is not
 * penalised for a reset near its end.
 */
export class RetryTracker {
  private failures = 0;
  private since = Date.now();
  private readonly maxAttempts: number;
  private readonly base: number;
  private readonly maxDelay: number;
  private readonly maxElapsed: number;

  constructor(opts: RetryOptions = {}) {
    this.maxAttempts = Math.max(1, opts.maxAttempts ?? 5);
    this.base = opts.baseDelayMs ?? 250;
    this.maxDelay = opts.maxDelayMs ?? 30_000;
    this.maxElapsed = opts.maxElapsedMs ?? 120_000;
  }

  /** Failed attempts since the last progress. */
  get failed(): number {
    return this.failures;
  }

  /** Bytes arrived: the next failure starts a fresh count. */
  progress(): void {
    this.failures = 0;
    this.since = Date.now();
  }

  /**
   * Records a failed attempt and waits before the next one, or throws `fail(why)` when the retry limits
   * are spent (too many attempts, too long, or a Retry-After beyond what is left).
   */
  async wait(fail: (why: string) => ImgsizeError, retryAfterMs: number | undefined, signal: AbortSignal | undefined): Promise<void> {
    this.failures++;
    if (this.failures >= this.maxAttempts) throw fail(`gave up after ${this.failures} attempts`);
    const backoff = Math.min(this.maxDelay, this.base * 2 ** (this.failures - 1));
    const jittered = backoff / 2 + Math.random() * (backoff / 2);
    const delay = retryAfterMs !== undefined ? Math.max(retryAfterMs, jittered) : jittered;
    const left = this.maxElapsed - (Date.now() - this.since);
    if (delay > this.maxDelay || delay > left) {
      throw fail(
        retryAfterMs !== undefined
          ? `asked to retry after ${Math.ceil(retryAfterMs / 1000)} s, more than the retry limits allow`
          : `gave up after ${this.failures} attempts in ${Math.round((Date.now() - this.since) / 1000)} s`,
      );
    }
    try {
      await sleep(delay, undefined, { signal });
    } catch (e) {
      throw new ImgsizeError('E_ABORTED', 'aborted', { cause: e });
    }
  }
}
