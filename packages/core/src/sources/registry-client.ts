/**
 * A small read-only client for the OCI distribution API (https://github.com/opencontainers/distribution-spec/blob/main/spec.md):
 * manifests by tag or digest, blobs as verified, resumable streams. Handles the token/basic auth
 * challenge, retries with backoff (429, 5xx, resets, stalls) honouring Retry-After, redirects
 * (blob GETs go to storage) and size caps. Secrets only ever travel in request headers; every
 * error leaving this module is scrubbed of them.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { ImgsizeError } from '../errors.js';
import { DEFAULT_LIMITS, limitError } from '../limits.js';
import type { Descriptor } from '../image-schemas.js';
import { MEDIA_TYPES } from '../image-schemas.js';
import {
  basicAuthorization,
  lookupDockerCredentials,
  parseWwwAuthenticate,
  secretsOf,
  type RegistryCredentials,
  type ResolvedCredentials,
} from './registry-auth.js';
import {
  describeNetworkError,
  discard,
  httpRequest,
  isTransient,
  parseRetryAfter,
  readBody,
  readWithIdleTimeout,
  RetryTracker,
  DEFAULT_LOW_SPEED,
  type HttpResponse,
  type LowSpeedLimit,
  type RetryOptions,
} from './registry-http.js';
import { DIGEST_RE, isLoopbackHost, type RegistryRef } from './registry-ref.js';
import { VERSION } from '../version.js';

/** How to reach and authenticate to a registry. */
export interface RegistryClientOptions {
  /** Use plain HTTP (default: only for localhost / 127.0.0.0/8 / ::1; `false` forces HTTPS there too). */
  insecure?: boolean | undefined;
  /** Explicit credentials; they win over the Docker config file. */
  username?: string | undefined;
  password?: string | undefined;
  /** Path to a Docker config.json, or `false` to never read one (default `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`). */
  dockerConfig?: string | false | undefined;
  retry?: RetryOptions | undefined;
  /** Max wait for response headers (default 30 s). */
  headersTimeoutMs?: number | undefined;
  /** A body that delivers no byte for this long is dropped and retried (default 30 s). */
  idleTimeoutMs?: number | undefined;
  /** Redirects followed per request (default 5). */
  maxRedirects?: number | undefined;
  /** Largest manifest or index accepted (default 4 MiB, the size the distribution spec asks registries to accept; `Limits.maxManifestBytes`). */
  maxManifestBytes?: number | undefined;
  /** A body slower than this (measured while waiting for the network) fails with E_NETWORK (default 1 KiB/s over 60 s; false: never). */
  lowSpeed?: LowSpeedLimit | false | undefined;
  /** Environment for config lookup and credential helpers (default process.env). */
  env?: NodeJS.ProcessEnv | undefined;
}

/** A manifest or index as fetched. */
export interface FetchedManifest {
  bytes: Buffer;
  /** Content-Type, or the document's own mediaType. */
  mediaType: string | undefined;
  /** sha256 of the bytes. */
  digest: string;
}

export const DEFAULT_MAX_MANIFEST_BYTES = DEFAULT_LIMITS.maxManifestBytes;
const MANIFEST_ACCEPT = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerList, MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest].join(', ');
const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);
const MAX_ERROR_BODY = 64 << 10;

/**
 * Where a request failed, for errors thrown while following redirects: a storage host that
 * resets the connection must be named, not the registry that sent us there (issue 16).
 */
const failedAt = new WeakMap<object, URL>();

interface OpenInit {
  headers?: Record<string, string> | undefined;
  signal?: AbortSignal | undefined;
  retries: RetryTracker;
  /** What is being fetched, for messages ("manifest latest"). */
  what: string;
  /** Code for a 404 (default E_REGISTRY). */
  notFound?: (detail: string) => ImgsizeError;
}

/** Drops the query (signed storage URLs carry credentials there) and any user info. */
export function redactUrl(u: URL | string): string {
  try {
    const url = new URL(u.toString());
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return '<url>';
  }
}

/** Read-only OCI distribution client for one repository. */
export class RegistryClient {
  readonly base: string;
  private readonly agents = {
    http: new http.Agent({ keepAlive: true, maxSockets: 8 }),
    https: new https.Agent({ keepAlive: true, maxSockets: 8 }),
  };
  private authorization: string | undefined;
  private credentials: Promise<ResolvedCredentials | undefined> | undefined;
  private readonly secrets = new Set<string>();
  private readonly headersTimeoutMs: number;
  private readonly idleTimeoutMs: number;
  private readonly maxRedirects: number;
  private readonly lowSpeed: LowSpeedLimit | false;
  readonly maxManifestBytes: number;

  constructor(
    readonly ref: RegistryRef,
    private readonly opts: RegistryClientOptions = {},
  ) {
    const plain = opts.insecure ?? isLoopbackHost(ref.registry);
    this.base = `${plain ? 'http' : 'https'}://${ref.apiHost}`;
    this.headersTimeoutMs = opts.headersTimeoutMs ?? 30_000;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 30_000;
    this.maxRedirects = opts.maxRedirects ?? 5;
    this.maxManifestBytes = opts.maxManifestBytes ?? DEFAULT_MAX_MANIFEST_BYTES;
    this.lowSpeed = opts.lowSpeed ?? DEFAULT_LOW_SPEED;
    for (const s of secretsOf({ username: opts.username, password: opts.password })) this.secrets.add(s);
  }

  /** Releases pooled connections. */
  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  /** Replaces every known secret in `text` with `***`. */
  scrub(text: string): string {
    let out = text;
    for (const s of this.secrets) if (s.length >= 3) out = out.split(s).join('***');
    return out;
  }

  /** Returns `e` with every known secret removed from its message and hint (the cause dropped if so). */
  scrubError(e: ImgsizeError): ImgsizeError {
    const msg = this.scrub(e.message);
    const hint = e.hint === undefined ? undefined : this.scrub(e.hint);
    if (msg === e.message && hint === e.hint) return e;
    // The cause may carry the unscrubbed text: drop it.
    return new ImgsizeError(e.code, msg, hint === undefined ? {} : { hint });
  }

  private error(code: ConstructorParameters<typeof ImgsizeError>[0], message: string, hint?: string): ImgsizeError {
    return this.scrubError(new ImgsizeError(code, message, hint === undefined ? {} : { hint }));
  }

  /** Fetches a manifest or index by tag or digest, verifying the digest when it is known. */
  async fetchManifest(reference: string, signal?: AbortSignal): Promise<FetchedManifest> {
    const what = `manifest ${this.ref.repository}:${reference}`.replace(':sha', '@sha');
    const retries = new RetryTracker(this.opts.retry);
    for (;;) {
      const res = await this.open(`/v2/${this.ref.repository}/manifests/${reference}`, {
        headers: { Accept: MANIFEST_ACCEPT },
        signal,
        retries,
        what,
        notFound: (detail) =>
          new ImgsizeError('E_IMAGE_NOT_FOUND', `${this.ref.registry}/${this.ref.repository} has no manifest "${reference}"${detail}`, {
            hint: 'check the tag (or digest) and the repository name',
          }),
      });
      let bytes: Buffer;
      try {
        bytes = await readBody(res, this.maxManifestBytes, this.idleTimeoutMs, what, 'maxManifestBytes', this.lowSpeed);
      } catch (e) {
        if (e instanceof ImgsizeError) throw this.scrubError(e.code === 'E_LIMIT' ? e : e.wrap(`reading ${what}`));
        if (isTransient(e)) {
          await retries.wait((why) => this.error('E_NETWORK', `reading ${what}${this.viaRedirect(res)}: ${describeNetworkError(e)}; ${why}`), undefined, signal);
          continue;
        }
        throw this.error('E_NETWORK', `reading ${what}${this.viaRedirect(res)}: ${describeNetworkError(e)}`);
      }
      const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
      if (DIGEST_RE.test(reference)) {
        const [alg, hex] = reference.split(':') as [string, string];
        const got = alg === 'sha256' ? digest.slice(7) : createHash(alg).update(bytes).digest('hex');
        if (got !== hex) throw this.error('E_DIGEST_MISMATCH', `${what}: the registry sent a document whose ${alg} is ${got.slice(0, 16)}…, not the digest asked for`);
      } else {
        const header = res.headers['docker-content-digest'];
        if (typeof header === 'string' && header.startsWith('sha256:') && header !== digest) {
          throw this.error('E_DIGEST_MISMATCH', `${what}: Docker-Content-Digest says ${header} but the content hashes to ${digest}`);
        }
      }
      const ct = res.headers['content-type']?.split(';')[0]?.trim();
      return { bytes, mediaType: ct && ct !== 'application/json' && ct !== 'text/plain' ? ct : undefined, digest };
    }
  }

  /** Fetches a small blob (the image config) whole, checking size and digest. */
  async fetchBlob(desc: Descriptor, max: number, signal?: AbortSignal): Promise<Buffer> {
    if (desc.size > max) throw this.scrubError(limitError('maxMetadataFileBytes', max, `blob ${desc.digest} is ${desc.size} bytes, over the limit for JSON documents`));
    const chunks: Buffer[] = [];
    for await (const c of this.blob(desc, signal)) chunks.push(c);
    return Buffer.concat(chunks);
  }

  /**
   * Streams a blob, verifying size and digest as bytes pass; the digest error comes at the end,
   * before the iteration completes, so a consumer that only commits on completion never commits
   * bad data. A broken or stalled transfer resumes with `Range: bytes=N-`.
   */
  async *blob(desc: Descriptor, signal?: AbortSignal, onBytes?: (n: number) => void): AsyncGenerator<Buffer, void, undefined> {
    if (!DIGEST_RE.test(desc.digest)) throw this.error('E_BAD_MANIFEST', `blob digest "${desc.digest}" is not a sha256/sha512 digest imgsize can verify`);
    const [alg, hex] = desc.digest.split(':') as [string, string];
    const what = `blob ${desc.digest}`;
    const hash = createHash(alg);
    const retries = new RetryTracker(this.opts.retry);
    let received = 0;
    for (;;) {
      const res = await this.open(`/v2/${this.ref.repository}/blobs/${desc.digest}`, {
        headers: received > 0 ? { Range: `bytes=${received}-` } : undefined,
        signal,
        retries,
        what,
        notFound: (detail) => new ImgsizeError('E_LAYER_MISSING', `${this.ref.registry}/${this.ref.repository} has no ${what}${detail}`),
      });
      let skip = 0;
      if (received > 0) {
        if (res.status === 206) {
          const m = /^bytes (\d+)-/.exec(String(res.headers['content-range'] ?? ''));
          const start = m ? Number(m[1]) : NaN;
          if (!(start <= received)) {
            discard(res);
            throw this.error('E_REGISTRY', `${what}: resumed download starts at byte ${String(start)}, expected ${received}`);
          }
          skip = received - start;
        } else {
          // The server ignored Range: read past what we already have.
          skip = received;
        }
      }
      let failure: unknown;
      try {
        for await (const chunk of readWithIdleTimeout(res.body, this.idleTimeoutMs, this.lowSpeed)) {
          let c = chunk;
          if (skip > 0) {
            if (c.length <= skip) {
              skip -= c.length;
              continue;
            }
            c = c.subarray(skip);
            skip = 0;
          }
          if (received + c.length > desc.size) {
            throw this.error('E_DIGEST_MISMATCH', `${what} is larger than the ${desc.size} bytes its descriptor says`);
          }
          hash.update(c);
          received += c.length;
          retries.progress();
          onBytes?.(c.length);
          yield c;
        }
      } catch (e) {
        if (e instanceof ImgsizeError) throw this.scrubError(e);
        failure = e;
      }
      // Every byte is here: a connection that then fails (a Content-Length that promised more) does
      // not matter, the digest decides. Asking again for `bytes=<size>-` would only earn a 416.
      if (received === desc.size && (failure === undefined || isTransient(failure))) break;
      const from = this.viaRedirect(res);
      if (failure !== undefined && !isTransient(failure)) throw this.error('E_NETWORK', `downloading ${what}${from}: ${describeNetworkError(failure)}`);
      // A reset, a stall, or a body that ended early: resume where we are.
      const why = failure !== undefined ? describeNetworkError(failure) : `the body ended after ${received} of ${desc.size} bytes`;
      await retries.wait((w) => this.error('E_NETWORK', `downloading ${what}${from}: ${why}; ${w}`), undefined, signal);
    }
    const got = hash.digest('hex');
    if (got !== hex) {
      throw this.error('E_DIGEST_MISMATCH', `${what}: the downloaded bytes hash to ${alg}:${got.slice(0, 16)}…`, 'the registry or something between it and you changed the data');
    }
  }

  /**
   * Sends a GET to the registry and returns a 2xx response: follows redirects, answers the auth
   * challenge once, retries transient failures within `retries`, and maps other statuses to errors.
   */
  private async open(path: string, init: OpenInit): Promise<HttpResponse> {
    let authTried = false;
    for (;;) {
      let res: HttpResponse;
      try {
        res = await this.follow(new URL(path, this.base), init.headers ?? {}, init.signal, init.what);
      } catch (e) {
        if (e instanceof ImgsizeError) throw this.scrubError(e);
        const from = this.describeHost(typeof e === 'object' && e !== null ? failedAt.get(e) : undefined);
        if (isTransient(e)) {
          await init.retries.wait((why) => this.error('E_NETWORK', `fetching ${init.what} from ${from}: ${describeNetworkError(e)}; ${why}`), undefined, init.signal);
          continue;
        }
        throw this.error('E_NETWORK', `fetching ${init.what} from ${from}: ${describeNetworkError(e)}`);
      }
      const fromRegistry = res.url.origin === new URL(this.base).origin;
      if (res.status >= 200 && res.status < 300) return res;
      if (res.status === 401 && fromRegistry && !authTried) {
        discard(res);
        authTried = true;
        await this.authenticate(res.headers['www-authenticate'], init);
        continue;
      }
      if (RETRY_STATUS.has(res.status)) {
        const retryAfter = parseRetryAfter(res.headers['retry-after']);
        discard(res);
        const label = res.status === 429 ? 'rate limited (429)' : `HTTP ${res.status}`;
        await init.retries.wait((why) => this.error('E_REGISTRY', `fetching ${init.what}: ${label}; ${why}`), retryAfter, init.signal);
        continue;
      }
      const detail = await this.errorDetail(res);
      if (res.status === 401 || res.status === 403) throw await this.authError(res.status, detail, init.what, fromRegistry);
      if (res.status === 404 && init.notFound) throw this.scrubError(init.notFound(detail));
      throw this.error('E_REGISTRY', `fetching ${init.what}: HTTP ${res.status}${detail}`);
    }
  }

  /** One request with its redirects; Authorization goes only to the registry's own origin. */
  private async follow(url: URL, headers: Record<string, string>, signal: AbortSignal | undefined, what: string): Promise<HttpResponse> {
    let current = url;
    const origin = url.origin;
    for (let hop = 0; ; hop++) {
      const h: Record<string, string> = { 'User-Agent': `imgsize/${VERSION}`, ...headers };
      if (this.authorization && current.origin === origin) h.Authorization = this.authorization;
      let res: HttpResponse;
      try {
        res = await httpRequest(current, { headers: h, signal, headersTimeoutMs: this.headersTimeoutMs, agents: this.agents });
      } catch (e) {
        if (typeof e === 'object' && e !== null) failedAt.set(e, current);
        throw e;
      }
      const location = res.headers.location;
      if (!REDIRECT_STATUS.has(res.status) || !location) return res;
      discard(res);
      // A redirect loop is the registry's fault: E_REGISTRY (SOURCES.md), naming the limit all the same.
      if (hop >= this.maxRedirects) {
        throw this.error('E_REGISTRY', `fetching ${what}: more than ${this.maxRedirects} redirects (limit maxRedirects = ${this.maxRedirects})`, 'a redirect loop? if the registry really needs more hops, raise limits.maxRedirects');
      }
      const next = new URL(location, current);
      if (next.protocol !== 'https:' && next.protocol !== 'http:') throw this.error('E_REGISTRY', `fetching ${what}: redirect to unsupported scheme ${next.protocol}`);
      if (current.protocol === 'https:' && next.protocol === 'http:' && !this.opts.insecure) {
        throw this.error('E_REGISTRY', `fetching ${what}: refusing a redirect from HTTPS to plain HTTP (${redactUrl(next)})`);
      }
      current = next;
    }
  }

  /**
   * Names the host a request went to: the registry, or a redirect target (scheme, host and port
   * only: signed storage URLs never reach a message) and the registry that sent us there.
   */
  private describeHost(url: URL | undefined): string {
    if (url === undefined || url.origin === new URL(this.base).origin) return this.base;
    return `${url.protocol}//${url.host} (where ${this.base} redirected)`;
  }

  /** ` from <host>` for a response that came from a redirect target, else nothing. */
  private viaRedirect(res: HttpResponse): string {
    return res.url.origin === new URL(this.base).origin ? '' : ` from ${this.describeHost(res.url)}`;
  }

  private async errorDetail(res: HttpResponse): Promise<string> {
    try {
      const body = await readBody(res, MAX_ERROR_BODY, this.idleTimeoutMs, 'error body');
      const doc = JSON.parse(body.toString('utf8')) as { errors?: { code?: string; message?: string }[] };
      const errs = (doc.errors ?? []).map((e) => [e.code, e.message].filter(Boolean).join(': ')).filter(Boolean);
      return errs.length > 0 ? ` (${this.scrub(errs.join('; ')).slice(0, 300)})` : '';
    } catch {
      if (!res.body.destroyed) res.body.destroy();
      return '';
    }
  }

  private async resolveCredentials(): Promise<ResolvedCredentials | undefined> {
    if (!this.credentials) {
      this.credentials = (async () => {
        if (this.opts.username !== undefined || this.opts.password !== undefined) {
          return { credentials: { username: this.opts.username, password: this.opts.password }, origin: 'the given username/password' };
        }
        if (this.opts.dockerConfig === false) return undefined;
        const found = await lookupDockerCredentials(this.ref.registry, { dockerConfig: this.opts.dockerConfig, env: this.opts.env });
        for (const s of secretsOf(found?.credentials)) this.secrets.add(s);
        return found;
      })();
    }
    return this.credentials;
  }

  private async authError(status: number, detail: string, what: string, fromRegistry: boolean): Promise<ImgsizeError> {
    if (!fromRegistry) return this.error('E_REGISTRY', `fetching ${what}: blob storage answered HTTP ${status}${detail}`);
    const creds = await this.resolveCredentials().catch(() => undefined);
    if (status === 403) {
      return this.error('E_AUTH', `access to ${this.ref.registry}/${this.ref.repository} denied${detail}`, creds ? `credentials from ${creds.origin} lack pull access` : `log in with \`docker login ${this.ref.registry}\``);
    }
    return creds
      ? this.error('E_AUTH', `authentication to ${this.ref.registry} failed with the credentials from ${creds.origin}${detail}`, `check them with \`docker login ${this.ref.registry}\`; the repository may also not exist`)
      : this.error('E_AUTH', `${this.ref.registry} requires authentication for ${this.ref.repository}${detail}`, `log in with \`docker login ${this.ref.registry}\` or pass a username and password; the repository may also not exist`);
  }

  /** Answers a 401 challenge: fetches a bearer token, or sets up basic auth. */
  private async authenticate(header: string | string[] | undefined, init: OpenInit): Promise<void> {
    const challenges = parseWwwAuthenticate(Array.isArray(header) ? header.join(', ') : (header ?? ''));
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basic = challenges.find((c) => c.scheme === 'basic');
    const resolved = await this.resolveCredentials();
    const creds = resolved?.credentials;
    if (bearer) {
      if (creds?.registryToken) {
        this.authorization = `Bearer ${creds.registryToken}`;
        return;
      }
      const token = await this.fetchToken(bearer.params, creds, resolved?.origin, init);
      this.secrets.add(token);
      this.authorization = `Bearer ${token}`;
      return;
    }
    if (basic) {
      if (!creds || creds.username === undefined || creds.password === undefined) {
        throw this.error('E_AUTH', `${this.ref.registry} requires a username and password`, `log in with \`docker login ${this.ref.registry}\` or pass a username and password`);
      }
      this.authorization = basicAuthorization(creds);
      return;
    }
    throw this.error('E_AUTH', `${this.ref.registry} asked for authentication imgsize does not support (${challenges.map((c) => c.scheme).join(', ') || 'no challenge'})`);
  }

  /** Token endpoint of the distribution token spec (GET with basic auth, or OAuth2 refresh-token POST). */
  private async fetchToken(params: Record<string, string>, creds: RegistryCredentials | undefined, origin: string | undefined, init: OpenInit): Promise<string> {
    const realmText = params.realm;
    if (!realmText) throw this.error('E_AUTH', `${this.ref.registry} sent a Bearer challenge without a realm`);
    let realm: URL;
    try {
      realm = new URL(realmText);
    } catch {
      throw this.error('E_AUTH', `${this.ref.registry} sent a Bearer challenge with an invalid realm`);
    }
    if (realm.protocol !== 'https:' && realm.protocol !== 'http:') throw this.error('E_AUTH', `token realm ${redactUrl(realm)} is not http(s)`);
    const scope = params.scope ?? `repository:${this.ref.repository}:pull`;
    const hasSecret = creds && (creds.password !== undefined || creds.identityToken !== undefined);
    if (hasSecret && realm.protocol === 'http:' && !isLoopbackHost(realm.host) && !this.opts.insecure) {
      throw this.error('E_AUTH', `refusing to send credentials to the plain-HTTP token server ${redactUrl(realm)}`, 'use insecure if you really mean it');
    }
    const headers: Record<string, string> = { 'User-Agent': `imgsize/${VERSION}`, Accept: 'application/json' };
    let method: 'GET' | 'POST' = 'GET';
    let body: string | undefined;
    if (creds?.identityToken) {
      method = 'POST';
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, service: params.service ?? '', scope, client_id: 'imgsize' }).toString();
    } else {
      if (params.service) realm.searchParams.set('service', params.service);
      realm.searchParams.set('scope', scope);
      if (creds?.username !== undefined && creds.password !== undefined) headers.Authorization = basicAuthorization(creds);
    }
    for (;;) {
      let res: HttpResponse;
      try {
        res = await httpRequest(realm, { method, headers, body, signal: init.signal, headersTimeoutMs: this.headersTimeoutMs, agents: this.agents });
      } catch (e) {
        if (e instanceof ImgsizeError) throw this.scrubError(e);
        if (isTransient(e)) {
          await init.retries.wait((why) => this.error('E_NETWORK', `getting a token from ${redactUrl(realm)}: ${describeNetworkError(e)}; ${why}`), undefined, init.signal);
          continue;
        }
        throw this.error('E_NETWORK', `getting a token from ${redactUrl(realm)}: ${describeNetworkError(e)}`);
      }
      if (RETRY_STATUS.has(res.status)) {
        const ra = parseRetryAfter(res.headers['retry-after']);
        discard(res);
        await init.retries.wait((why) => this.error('E_AUTH', `token server ${redactUrl(realm)} answered HTTP ${res.status}; ${why}`), ra, init.signal);
        continue;
      }
      if (res.status === 401 || res.status === 403) {
        discard(res);
        throw this.error('E_AUTH', origin ? `the token server for ${this.ref.registry} rejected the credentials from ${origin}` : `the token server for ${this.ref.registry} refused an anonymous token`, `log in with \`docker login ${this.ref.registry}\``);
      }
      if (res.status !== 200) {
        discard(res);
        throw this.error('E_AUTH', `token server ${redactUrl(realm)} answered HTTP ${res.status}`);
      }
      let doc: { token?: unknown; access_token?: unknown };
      try {
        doc = JSON.parse((await readBody(res, 1 << 20, this.idleTimeoutMs, 'token response')).toString('utf8')) as typeof doc;
      } catch (e) {
        if (isTransient(e)) {
          await init.retries.wait((why) => this.error('E_NETWORK', `reading a token from ${redactUrl(realm)}: ${why}`), undefined, init.signal);
          continue;
        }
        throw this.error('E_AUTH', `token server ${redactUrl(realm)} sent something that is not a token response`);
      }
      const token = typeof doc.token === 'string' && doc.token !== '' ? doc.token : typeof doc.access_token === 'string' ? doc.access_token : '';
      if (token === '') throw this.error('E_AUTH', `token server ${redactUrl(realm)} sent no token`);
      return token;
    }
  }
}
