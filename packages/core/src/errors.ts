/**
 * One error type for everything imgsize reports as a user-facing failure.
 * Messages are lowercase context chains ("reading layer 3: unexpected end of archive").
 */

/** Stable error codes; part of the public API (scripts match on them). */
export const ERROR_CODES = [
  'E_USAGE', // bad arguments or options
  'E_IO', // the input could not be opened or read
  'E_NOT_AN_ARCHIVE', // input is not a tar archive (or a compressed one)
  'E_TRUNCATED', // the archive or a layer ends early
  'E_BAD_TAR', // a tar header is corrupt (checksum, size, pax record)
  'E_DECOMPRESS', // a gzip/zstd stream is corrupt
  'E_NO_MANIFEST', // no manifest.json / index.json in the archive
  'E_BAD_MANIFEST', // manifest, index or config is not valid JSON of the expected shape
  'E_LAYER_MISSING', // the manifest names a layer or config the archive does not contain
  'E_IMAGE_AMBIGUOUS', // several images and no --image to choose
  'E_IMAGE_NOT_FOUND', // --image names no image in the archive / daemon / registry
  'E_LIMIT', // a resource limit was hit (entries, metadata size, decompression ratio, ...)
  'E_DIGEST_MISMATCH', // blob content does not match its digest
  'E_PLATFORM', // requested platform not in the index
  'E_AUTH', // registry authentication failed
  'E_REGISTRY', // registry answered with an error
  'E_NETWORK', // connection failed / timed out
  'E_DAEMON', // docker/podman daemon unreachable or failed
  'E_BAD_CONFIG', // a config, rules, budgets or report file is invalid
  'E_UNSUPPORTED', // a format imgsize recognises but does not read (xz/bzip2, schema1 manifests, OCI artifacts)
  'E_ABORTED', // the caller's AbortSignal fired
  'E_DOCKERFILE_SYNTAX', // the Dockerfile does not parse (the builder would refuse it)
  'E_DOCKERFILE_MISMATCH', // the Dockerfile does not belong to the image (most instructions unmatched)
  'E_BUILD_FAILED', // an engine build (fix --verify) failed
  'E_INTERNAL', // a bug in imgsize
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Error with a stable `code`, an optional hint for the user and the underlying `cause`. */
export class ImgsizeError extends Error {
  override readonly name = 'ImgsizeError';
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; hint?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
  }

  /** Returns a new error whose message is `context: <this message>`, same code and hint. */
  wrap(context: string): ImgsizeError {
    return new ImgsizeError(this.code, `${context}: ${this.message}`, { cause: this, hint: this.hint });
  }
}

/** True when `e` is an ImgsizeError (optionally with the given code). */
export function isImgsizeError(e: unknown, code?: ErrorCode): e is ImgsizeError {
  return e instanceof ImgsizeError && (code === undefined || e.code === code);
}

/** Adds context to any error: ImgsizeErrors are wrapped, others become E_INTERNAL/E_IO as given. */
export function withContext(e: unknown, context: string, fallback: ErrorCode = 'E_INTERNAL'): ImgsizeError {
  if (e instanceof ImgsizeError) return e.wrap(context);
  if (isAbort(e)) return new ImgsizeError('E_ABORTED', `${context}: aborted`, { cause: e });
  const msg = e instanceof Error ? e.message : String(e);
  return new ImgsizeError(fallback, `${context}: ${msg}`, { cause: e });
}

function isAbort(e: unknown): boolean {
  return e instanceof Error && (e.name === 'AbortError' || (e as { code?: string }).code === 'ABORT_ERR');
}

/** Throws E_ABORTED if the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ImgsizeError('E_ABORTED', 'aborted', { cause: signal.reason });
}

/**
 * `work`, or E_ABORTED as soon as `signal` fires, whichever comes first. The abandoned work runs
 * on in the background and its outcome is dropped (e.g. a layer's last thread-pool deflates).
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(new ImgsizeError('E_ABORTED', 'aborted', { cause: signal.reason }));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      work.catch(() => undefined);
      reject(new ImgsizeError('E_ABORTED', 'aborted', { cause: signal.reason }));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
