/**
 * A misbehaving registry for the hostile suites: an HTTP proxy on 127.0.0.1 in front of the real
 * registry of test/services whose `handle` hook may answer any request itself, with full control
 * of status, headers, body and timing (including raw bytes on the socket: lying Content-Length,
 * slow drips), usually after fetching the real answer from the registry with `upstream()`.
 * test/sources/fault-proxy.ts covers resets, stalls, flipped bytes and redirects; this one covers
 * what that one cannot express. Bounded: at most MAX_REQUESTS requests; `close()` ends every
 * socket and timer it made.
 */
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface Upstream {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface ProxyRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  index: number;
}

/** Answers a request itself (returns true), or lets it through to the registry (returns false). */
export type Handler = (req: ProxyRequest, res: ServerResponse, upstream: () => Promise<Upstream>, tools: ProxyTools) => Promise<boolean> | boolean;

export interface ProxyTools {
  /** setTimeout that `close()` clears. */
  later(ms: number, fn: () => void): void;
  /** Writes raw bytes on the response's socket (no HTTP framing from node) and closes it after `closeAfterMs`. */
  raw(res: ServerResponse, bytes: Buffer | string, closeAfterMs?: number): void;
}

export interface HostileProxy {
  /** `127.0.0.1:PORT` */
  host: string;
  port: number;
  requests: ProxyRequest[];
  handle: Handler | undefined;
  close(): Promise<void>;
}

const MAX_REQUESTS = 2_000;

/** Starts the proxy in front of `upstream` (`127.0.0.1:PORT`). */
export async function startHostileProxy(upstream: string): Promise<HostileProxy> {
  const [upHost, upPort] = upstream.split(':') as [string, string];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const requests: ProxyRequest[] = [];
  const proxy: HostileProxy = { host: '', port: 0, requests, handle: undefined, close: async () => undefined };
  const tools: ProxyTools = {
    later(ms, fn) {
      const t = setTimeout(() => {
        timers.delete(t);
        fn();
      }, ms);
      timers.add(t);
    },
    raw(res, bytes, closeAfterMs = 0) {
      const sock = res.socket;
      if (!sock) return;
      sock.write(bytes);
      tools.later(closeAfterMs, () => sock.destroy());
    },
  };

  const fetchUpstream = (req: IncomingMessage, path: string): Promise<Upstream> =>
    new Promise((resolve, reject) => {
      const up = http.request({ host: upHost, port: Number(upPort), method: req.method, path, headers: { ...req.headers, host: upstream }, agent: false }, (ur) => {
        const chunks: Buffer[] = [];
        ur.on('data', (c: Buffer) => chunks.push(c));
        ur.on('end', () => resolve({ status: ur.statusCode ?? 502, headers: ur.headers, body: Buffer.concat(chunks) }));
        ur.on('error', reject);
      });
      up.on('error', reject);
      up.end();
    });

  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    if (requests.length >= MAX_REQUESTS) {
      res.writeHead(503).end();
      return;
    }
    const r: ProxyRequest = { method: req.method ?? 'GET', path, headers: req.headers, index: requests.length };
    requests.push(r);
    const upstreamOnce = (): Promise<Upstream> => fetchUpstream(req, path);
    void (async () => {
      try {
        if (proxy.handle && (await proxy.handle(r, res, upstreamOnce, tools))) return;
        const u = await upstreamOnce();
        res.writeHead(u.status, u.headers);
        res.end(u.body);
      } catch (e) {
        if (process.env.IMGSIZE_PROXY_DEBUG) process.stderr.write(`hostile proxy: ${r.method} ${r.path} ${JSON.stringify(r.headers)}: ${String((e as Error)?.stack ?? e)}\n`);
        if (!res.headersSent) res.writeHead(502).end();
        else res.socket?.destroy();
      }
    })();
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.port = (server.address() as AddressInfo).port;
  proxy.host = `127.0.0.1:${proxy.port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return proxy;
}

/** True for a GET of a blob (optionally of one digest). */
export function isBlob(r: { method: string; path: string }, digest?: string): boolean {
  return r.method === 'GET' && r.path.includes('/blobs/sha256:') && (digest === undefined || r.path.endsWith(digest));
}

/** True for a GET of a manifest. */
export function isManifest(r: { method: string; path: string }): boolean {
  return r.method === 'GET' && r.path.includes('/manifests/');
}

/** Pushes a blob to a plain-HTTP registry with a monolithic upload (test setup only). */
export async function pushBlob(registry: string, repo: string, digest: string, body: Buffer): Promise<void> {
  const start = await fetch(`http://${registry}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  if (start.status !== 202) throw new Error(`starting an upload: HTTP ${start.status}`);
  const loc = new URL(start.headers.get('location')!, `http://${registry}`);
  loc.searchParams.set('digest', digest);
  const put = await fetch(loc, { method: 'PUT', headers: { 'Content-Type': 'application/octet-stream' }, body });
  if (put.status !== 201) throw new Error(`uploading ${digest}: HTTP ${put.status} ${await put.text()}`);
}

/** Pushes a manifest under a tag (test setup only). */
export async function pushManifest(registry: string, repo: string, tag: string, manifest: string, mediaType = 'application/vnd.oci.image.manifest.v1+json'): Promise<void> {
  const res = await fetch(`http://${registry}/v2/${repo}/manifests/${tag}`, { method: 'PUT', headers: { 'Content-Type': mediaType }, body: manifest });
  if (res.status !== 201) throw new Error(`PUT manifest ${repo}:${tag}: HTTP ${res.status} ${await res.text()}`);
}
