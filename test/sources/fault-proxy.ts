/**
 * A fault-injecting HTTP proxy in front of a real registry, for retry/resume tests. Loopback only,
 * bounded (at most MAX_REQUESTS requests, every socket closed on `close()`). Each request is
 * recorded; `rule` decides per request whether to pass it through or break it: an error status,
 * a reset or stall after N body bytes, a flipped byte, an oversized body, or a redirect to the
 * proxy's own `/_storage/` prefix (on another origin: `localhost` instead of `127.0.0.1`),
 * which is served from the registry like object storage would.
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Fault =
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  | { kind: 'reset-after'; bytes: number }
  | { kind: 'stall-after'; bytes: number; ms: number }
  | { kind: 'corrupt'; at: number }
  | { kind: 'redirect'; location: string; status?: number }
  | { kind: 'respond'; status: number; headers: Record<string, string>; body: Buffer };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  fault: Fault['kind'] | 'pass';
}

export type FaultRule = (req: { method: string; path: string; headers: IncomingHttpHeaders; index: number }) => Fault | undefined;

export interface FaultProxy {
  /** `127.0.0.1:PORT` */
  host: string;
  port: number;
  requests: RecordedRequest[];
  /** Most blob requests in flight at once. */
  maxBlobsInFlight: number;
  rule: FaultRule;
  close(): Promise<void>;
}

const MAX_REQUESTS = 5_000;

/** Starts the proxy for `upstream` (`127.0.0.1:PORT`). */
export async function startFaultProxy(
  upstream: string,
  rule: FaultRule = () => undefined,
  opts: { storageHeaders?: Record<string, string> } = {},
): Promise<FaultProxy> {
  const [upHost, upPort] = upstream.split(':') as [string, string];
  const sockets = new Set<Socket>();
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const proxy: FaultProxy = { host: '', port: 0, requests, maxBlobsInFlight: 0, rule, close: async () => undefined };
  let blobsInFlight = 0;

  const server = http.createServer((req, res) => {
    const method = req.method ?? 'GET';
    let path = req.url ?? '/';
    if (requests.length >= MAX_REQUESTS) {
      res.writeHead(503).end();
      return;
    }
    const fromStorage = path.startsWith('/_storage/');
    if (fromStorage) path = path.slice('/_storage'.length).replace(/\?.*$/, '');
    const fault = fromStorage ? undefined : proxy.rule({ method, path, headers: req.headers, index: requests.length });
    requests.push({ method, path: fromStorage ? `/_storage${path}` : path, headers: req.headers, fault: fault?.kind ?? 'pass' });
    if (fault?.kind === 'status') {
      res.writeHead(fault.status, { 'Content-Type': 'application/json', ...fault.headers });
      res.end(fault.body ?? '{"errors":[{"code":"UNAVAILABLE","message":"injected"}]}');
      return;
    }
    if (fault?.kind === 'redirect') {
      res.writeHead(fault.status ?? 307, { Location: fault.location, 'Content-Length': '0' });
      res.end();
      return;
    }
    if (fault?.kind === 'respond') {
      res.writeHead(fault.status, { ...fault.headers, 'Content-Length': String(fault.body.length) });
      res.end(fault.body);
      return;
    }
    // Storage is reached with a signed URL, not the registry's credentials: the proxy signs for it.
    const headers = { ...req.headers, host: upstream, ...(fromStorage ? opts.storageHeaders : {}) };
    if (path.includes('/blobs/')) {
      blobsInFlight++;
      proxy.maxBlobsInFlight = Math.max(proxy.maxBlobsInFlight, blobsInFlight);
      res.once('close', () => blobsInFlight--);
    }
    const up = http.request({ host: upHost, port: Number(upPort), method, path, headers, agent: false }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      let sent = 0;
      let broken = false;
      ur.on('data', (chunk: Buffer) => {
        if (broken) return;
        let c = chunk;
        if (fault?.kind === 'corrupt' && fault.at >= sent && fault.at < sent + c.length) {
          c = Buffer.from(c);
          c[fault.at - sent] = c[fault.at - sent]! ^ 0xff;
        }
        if ((fault?.kind === 'reset-after' || fault?.kind === 'stall-after') && sent + c.length >= fault.bytes) {
          const keep = c.subarray(0, Math.max(0, fault.bytes - sent));
          broken = true;
          ur.destroy();
          res.write(keep, () => {
            if (fault.kind === 'reset-after') {
              res.socket?.destroy();
            } else {
              // Send nothing more; drop the connection much later (the client should have given up).
              const t = setTimeout(() => res.socket?.destroy(), fault.ms);
              timers.add(t);
            }
          });
          return;
        }
        sent += c.length;
        res.write(c);
      });
      ur.on('end', () => {
        if (!broken) res.end();
      });
      ur.on('error', () => res.socket?.destroy());
    });
    up.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.socket?.destroy();
    });
    req.pipe(up);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  proxy.port = port;
  proxy.host = `127.0.0.1:${port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return proxy;
}

/** True for a blob GET of the registry API (not a manifest). */
export function isBlobGet(r: { method: string; path: string }, digest?: string): boolean {
  return r.method === 'GET' && !r.path.startsWith('/_storage/') && /\/blobs\/sha256:/.test(r.path) && (digest === undefined || r.path.endsWith(digest));
}
