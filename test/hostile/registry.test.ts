/**
 * Registry misbehaviour, with the real registry of test/services behind a hostile proxy
 * (hostile-proxy.ts): truncated blobs, lying Content-Length, wrong digests, 401 loops, redirect
 * loops, slow drips, huge and malformed manifests, a decompression bomb served as a layer. Each
 * ends with its own error code, and `load` never resolves with a partial image. What
 * test/sources/registry-faults.test.ts already covers (resets and stalls resumed with Range,
 * 503/429 Retry-After, bounded attempts, a flipped byte, storage redirects, the redirect cap,
 * the manifest size cap, concurrency, abort, cache) is not repeated here: docs/RELIABILITY.md
 * lists both.
 */
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { analyzeImage } from '../../packages/core/src/analyze.js';
import type { ImgsizeError } from '../../packages/core/src/errors.js';
import { openRegistry, type RegistrySourceOptions } from '../../packages/core/src/sources/registry.js';
import { simpleTar } from '../fuzz/raw-tar.js';
import { describeServices } from '../services/services.js';
import { uniqueRepo } from '../sources/helpers.js';
import { errorOf, gzipZerosLayer, gzipZerosStream } from './helpers.js';
import { isBlob, isManifest, pushBlob, pushManifest, startHostileProxy, type HostileProxy } from './hostile-proxy.js';

const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

describeServices('registry misbehaviour (hostile proxy in front of the real registry)', (svc) => {
  const repo = uniqueRepo('imgsize-test/hostile');
  let proxy: HostileProxy;
  let big: { digest: string; size: number };
  let configDigest: string;
  let manifestText: string;
  const quick: RegistrySourceOptions = { noCache: true, retry: { baseDelayMs: 10, maxAttempts: 3 }, idleTimeoutMs: 3_000, headersTimeoutMs: 3_000 };
  const open = (tag = 'v1', opts: RegistrySourceOptions = {}) => openRegistry(`registry://${proxy.host}/${repo}:${tag}`, { ...quick, ...opts });

  beforeAll(async () => {
    const bigContent = randomBytes(1_500_000); // incompressible: the gzip'd blob stays ~1.5 MB
    const l1 = simpleTar([{ name: 'etc/hostname', content: `hostile-${process.pid}\n` }]);
    const l2 = simpleTar([{ name: 'data/big.bin', content: bigContent }]);
    const layers = [l1, l2].map((t) => ({ tar: t, blob: gzipSync(t) }));
    const config = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => sha(l.tar)) }, history: [{ created_by: 'ADD a' }, { created_by: 'ADD b' }] });
    configDigest = sha(config);
    for (const l of layers) await pushBlob(svc.registry, repo, sha(l.blob), l.blob);
    await pushBlob(svc.registry, repo, configDigest, Buffer.from(config));
    manifestText = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha(l.blob), size: l.blob.length })),
    });
    await pushManifest(svc.registry, repo, 'v1', manifestText);
    big = { digest: sha(layers[1]!.blob), size: layers[1]!.blob.length };
    proxy = await startHostileProxy(svc.registry);
  });
  afterAll(async () => {
    await proxy?.close();
  });
  beforeEach(() => {
    proxy.handle = undefined;
    proxy.requests.length = 0;
  });

  it('control: the image loads through the proxy', async () => {
    const img = await open().load();
    expect(img.layers).toHaveLength(2);
    expect(img.layers[1]!.scan.contentBytes).toBe(1_500_000);
  });

  it('truncated blob (the server ends every answer early, cleanly): E_NETWORK after bounded retries, no image', async () => {
    const cut = 600_000;
    proxy.handle = async (r, res, upstream) => {
      if (!isBlob(r, big.digest)) return false;
      const u = await upstream();
      const start = Number(/bytes (\d+)-/.exec(String(u.headers['content-range'] ?? ''))?.[1] ?? 0);
      const body = u.body.subarray(0, Math.max(0, cut - start));
      res.writeHead(u.status, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(body.length), ...(u.headers['content-range'] ? { 'Content-Range': String(u.headers['content-range']) } : {}) });
      res.end(body);
      return true;
    };
    const e = await errorOf(open().load());
    expect(e.code).toBe('E_NETWORK');
    expect(e.message).toMatch(/the body ended after 600000 of \d+ bytes; gave up after 3 attempts/);
    expect(proxy.requests.filter((r) => isBlob(r, big.digest)).length).toBe(3);
  });

  it('blob-complete-but-refetched-past-end: Content-Length larger than the body, then the connection closes: resumed until every byte is in, then the digest decides', async () => {
    // Every answer claims 100 bytes more than it sends: each attempt makes progress and the last
    // one has every byte; the digest decides.
    proxy.handle = async (r, res, upstream, tools) => {
      if (!isBlob(r, big.digest)) return false;
      const u = await upstream();
      const head = `HTTP/1.1 ${u.status} X\r\nContent-Length: ${u.body.length + 100}\r\n${u.headers['content-range'] ? `Content-Range: ${u.headers['content-range']}\r\n` : ''}\r\n`;
      tools.raw(res, Buffer.concat([Buffer.from(head), u.body.subarray(0, Math.min(u.body.length, 400_000))]), 50);
      return true;
    };
    const img = await open('v1', { retry: { baseDelayMs: 10, maxAttempts: 3 } }).load();
    expect(img.layers[1]!.scan.contentBytes).toBe(1_500_000);
    // never more than 400 KB per answer and a budget of 3 failures in a row: it completes because each attempt progresses
    expect(proxy.requests.filter((r) => isBlob(r, big.digest)).length).toBeGreaterThan(3);
  });

  it('Content-Length smaller than the body: the extra bytes are never taken as blob data (no digest error); a server that never sends the end is E_NETWORK', async () => {
    proxy.handle = async (r, res, upstream, tools) => {
      if (!isBlob(r, big.digest)) return false;
      const u = await upstream();
      const head = `HTTP/1.1 ${u.status} X\r\nContent-Length: ${Math.max(0, u.body.length - 5000)}\r\n${u.headers['content-range'] ? `Content-Range: ${u.headers['content-range']}\r\n` : ''}Connection: close\r\n\r\n`;
      tools.raw(res, Buffer.concat([Buffer.from(head), u.body, Buffer.from('GARBAGE AFTER THE BODY')]), 50);
      return true;
    };
    const e = await errorOf(open().load());
    expect(e.code).toBe('E_NETWORK');
    expect(e.message).toMatch(new RegExp(`the body ended after ${big.size - 5000} of ${big.size} bytes; gave up after 3 attempts`));
  });

  it('wrong digests: a tag answered with another manifest than Docker-Content-Digest says, a blob longer than its descriptor, a config that is another config', async () => {
    proxy.handle = async (r, res, upstream) => {
      if (!isManifest(r)) return false;
      const u = await upstream();
      res.writeHead(200, { 'Content-Type': OCI_MANIFEST, 'Docker-Content-Digest': sha('something else') });
      res.end(u.body);
      return true;
    };
    let e = await errorOf(open().load());
    expect(e.code).toBe('E_DIGEST_MISMATCH');
    expect(e.message).toMatch(/Docker-Content-Digest says/);

    proxy.handle = async (r, res, upstream) => {
      if (!isBlob(r, big.digest)) return false;
      const u = await upstream();
      res.writeHead(200, { 'Content-Length': String(u.body.length + 10) });
      res.end(Buffer.concat([u.body, Buffer.alloc(10)]));
      return true;
    };
    e = await errorOf(open().load());
    expect(e.code).toBe('E_DIGEST_MISMATCH');
    expect(e.message).toMatch(/larger than the \d+ bytes its descriptor says/);

    proxy.handle = (r, res) => {
      if (!isBlob(r, configDigest)) return false;
      const other = JSON.stringify({ architecture: 'arm64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }).padEnd(JSON.parse(manifestText).config.size, ' ');
      res.writeHead(200, { 'Content-Length': String(Buffer.byteLength(other)) });
      res.end(other);
      return true;
    };
    e = await errorOf(open().load());
    expect(e.code).toBe('E_DIGEST_MISMATCH');
  });

  it('401 loops: a registry that keeps answering 401 after a token was fetched is E_AUTH after a bounded number of requests', async () => {
    let tokens = 0;
    proxy.handle = (r, res) => {
      if (r.path.startsWith('/token')) {
        tokens++;
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ token: `t${tokens}` }));
        return true;
      }
      res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="http://${proxy.host}/token",service="hostile",scope="repository:${repo}:pull"`, 'Content-Type': 'application/json' });
      res.end('{"errors":[{"code":"UNAUTHORIZED","message":"again"}]}');
      return true;
    };
    const e = await errorOf(open('v1', { dockerConfig: false }).load());
    expect(e.code).toBe('E_AUTH');
    expect(tokens).toBe(1);
    expect(proxy.requests.length).toBeLessThanOrEqual(4);

    // Basic challenge answered with credentials, still 401: E_AUTH naming where they came from.
    proxy.requests.length = 0;
    proxy.handle = (r, res) => {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="hostile"' });
      res.end();
      return true;
    };
    const e2 = await errorOf(open('v1', { username: 'u', password: 'p4ssw0rd-secret' }).load());
    expect(e2.code).toBe('E_AUTH');
    expect(e2.message).toContain('the given username/password');
    expect(e2.message).not.toContain('p4ssw0rd-secret');
    expect(proxy.requests.length).toBeLessThanOrEqual(3);

    // A token server that redirects (to itself) or refuses: E_AUTH, not a loop.
    for (const status of [302, 401, 500]) {
      proxy.requests.length = 0;
      proxy.handle = (r, res) => {
        if (r.path.startsWith('/token')) {
          res.writeHead(status, status === 302 ? { Location: `http://${proxy.host}/token?again=1` } : {});
          res.end();
          return true;
        }
        res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="http://${proxy.host}/token"` });
        res.end();
        return true;
      };
      const e3 = await errorOf(open('v1', { dockerConfig: false }).load());
      expect(e3.code, `token server ${status}`).toBe('E_AUTH');
      expect(proxy.requests.length, `token server ${status}`).toBeLessThanOrEqual(10);
    }
  });

  it('redirect loops and bad redirects: E_REGISTRY naming maxRedirects; limits.maxRedirects is honoured', async () => {
    // manifest: A -> B -> A -> ...
    proxy.handle = (r, res) => {
      if (!isManifest(r) && !r.path.startsWith('/loop')) return false;
      res.writeHead(302, { Location: r.path.startsWith('/loop-a') ? `/loop-b${r.index}` : `/loop-a${r.index}` });
      res.end();
      return true;
    };
    let e = await errorOf(open().load());
    expect(e.code).toBe('E_REGISTRY');
    expect(e.message).toMatch(/more than 5 redirects \(limit maxRedirects = 5\)/);
    expect(proxy.requests.length).toBe(6);

    proxy.requests.length = 0;
    e = await errorOf(analyzeImage(open(), { limits: { maxRedirects: 2 } }));
    expect(e.message).toMatch(/more than 2 redirects \(limit maxRedirects = 2\)/);
    expect(proxy.requests.length).toBe(3);

    proxy.handle = (r, res) => {
      if (!isBlob(r)) return false;
      res.writeHead(307, { Location: 'file:///etc/passwd' });
      res.end();
      return true;
    };
    e = await errorOf(open().load());
    expect(e.code).toBe('E_REGISTRY');
    expect(e.message).toMatch(/redirect to unsupported scheme file:/);
  });

  it('slow-drip bodies (never idle long enough for the idle timeout) fail with E_NETWORK: transfer too slow', async () => {
    const drip = (body: Buffer, res: import('node:http').ServerResponse, tools: import('./hostile-proxy.js').ProxyTools, headers: Record<string, string>): void => {
      res.writeHead(200, { ...headers, 'Content-Length': String(body.length) });
      let i = 0;
      const tick = (): void => {
        if (res.destroyed || i >= body.length) return;
        res.write(body.subarray(i, i + 10));
        i += 10;
        tools.later(100, tick);
      };
      tick();
    };
    proxy.handle = async (r, res, upstream, tools) => {
      if (!isBlob(r, big.digest)) return false;
      drip((await upstream()).body, res, tools, {});
      return true;
    };
    const lowSpeed = { bytesPerSecond: 1000, windowMs: 1500 };
    let t0 = Date.now();
    let e = await errorOf(open('v1', { lowSpeed }).load());
    expect(e.code).toBe('E_NETWORK');
    expect(e.message).toMatch(/transfer too slow: \d+ bytes in [\d.]+ s of waiting, under 1000 bytes\/s/);
    expect(Date.now() - t0).toBeLessThan(10_000);

    proxy.handle = async (r, res, upstream, tools) => {
      if (!isManifest(r)) return false;
      drip((await upstream()).body, res, tools, { 'Content-Type': OCI_MANIFEST });
      return true;
    };
    t0 = Date.now();
    e = await errorOf(open('v1', { lowSpeed }).load());
    expect(e.code).toBe('E_NETWORK');
    expect(Date.now() - t0).toBeLessThan(10_000);

    // Headers dripped byte by byte: the headers timeout, retried within the budget.
    proxy.handle = (r, res, _u, tools) => {
      const head = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}';
      let i = 0;
      const tick = (): void => {
        if (!res.socket || res.socket.destroyed || i >= head.length) return;
        res.socket.write(head[i++]!);
        tools.later(200, tick);
      };
      tick();
      return true;
    };
    t0 = Date.now();
    e = await errorOf(open('v1', { headersTimeoutMs: 500, retry: { baseDelayMs: 10, maxAttempts: 2 } }).load());
    expect(e.code).toBe('E_NETWORK');
    expect(e.message).toMatch(/no response within 500 ms/);
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('huge or malformed manifests', async () => {
    const serve = (body: string | Buffer, headers: Record<string, string> = {}) => {
      proxy.handle = (r, res) => {
        if (!isManifest(r)) return false;
        res.writeHead(200, { 'Content-Type': OCI_MANIFEST, ...headers });
        res.end(body);
        return true;
      };
    };
    const cases: [string, string | Buffer, string, RegExp, Record<string, string>?][] = [
      ['null', 'null', 'E_BAD_MANIFEST', /not a valid document/],
      ['not JSON', '{"schemaVersion": 2, ', 'E_BAD_MANIFEST', /not valid JSON/],
      ['nested a million deep', `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`, 'E_BAD_MANIFEST', /not a valid document/],
      ['a layer that is not a digest', JSON.stringify({ schemaVersion: 2, config: { digest: configDigest, size: 10 }, layers: [{ digest: 'sha256:../../../etc/passwd', size: 1 }] }), 'E_BAD_MANIFEST', /not a digest/],
      ['a negative size', JSON.stringify({ schemaVersion: 2, config: { digest: configDigest, size: -1 }, layers: [] }), 'E_BAD_MANIFEST', /config\.size/],
      ['schema 1', JSON.stringify({ schemaVersion: 1, name: repo, tag: 'v1', fsLayers: [] }), 'E_UNSUPPORTED', /schema 1/],
      ['5000 layers', JSON.stringify({ schemaVersion: 2, config: { digest: configDigest, size: 10 }, layers: Array.from({ length: 5000 }, () => ({ digest: big.digest, size: big.size })) }), 'E_LIMIT', /lists 5000 layers \(limit maxLayers = 1000\)/],
      ['10 GB by Content-Length', Buffer.from('{}'), 'E_LIMIT', /is 10000000000 bytes, over the 4194304-byte limit \(limit maxManifestBytes = 4194304\)/, { 'Content-Length': '10000000000' }],
      // no document can contain its own digest: an index "pointing at itself" fails the digest check
      ['an index that contains itself', '', 'E_DIGEST_MISMATCH', /the registry sent a document whose sha256 is [0-9a-f]+…, not the digest asked for/],
    ];
    for (const [what, body, code, msg, headers] of cases) {
      if (what === 'an index that contains itself') {
        // every manifest request answers the same index, pointing at its own digest
        const idx = (d: string) => JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', digest: d, size: 0 }] });
        proxy.handle = (r, res) => {
          if (!isManifest(r)) return false;
          const ref = r.path.split('/manifests/')[1]!;
          res.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.index.v1+json' });
          res.end(idx(ref.startsWith('sha256:') ? ref : sha('seed')));
          return true;
        };
      } else {
        serve(body, headers);
      }
      const e: ImgsizeError = await errorOf(open().load());
      expect([e.code, what]).toEqual([code, what]);
      expect(e.message, `${what}: ${e.message}`).toMatch(msg);
    }
    // limits.maxManifestBytes through analyzeImage
    proxy.handle = undefined;
    const e = await errorOf(analyzeImage(open(), { limits: { maxManifestBytes: 100 } }));
    expect(e.code).toBe('E_LIMIT');
    expect(e.message).toContain('limit maxManifestBytes = 100');
  });

  it('a gzip bomb served as a layer (10 GB of zeros in 10 MB): E_LIMIT, and nothing from that layer', async () => {
    const z = gzipZerosLayer(150 * 64 * 2 ** 20);
    const parts: Buffer[] = [];
    for await (const c of gzipZerosStream(z)) parts.push(c);
    const blob = Buffer.concat(parts);
    const config = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha256:${'0'.repeat(64)}`] } });
    await pushBlob(svc.registry, repo, sha(blob), blob);
    await pushBlob(svc.registry, repo, sha(config), Buffer.from(config));
    await pushManifest(
      svc.registry,
      repo,
      'bomb',
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha(blob), size: blob.length }],
      }),
    );
    const t0 = Date.now();
    const e = await errorOf(analyzeImage(open('bomb')));
    expect(e.code).toBe('E_LIMIT');
    expect(e.message).toMatch(/layer 0 .*gzip stream expands more than 200:1.*limit maxCompressionRatio = 200/);
    expect(Date.now() - t0).toBeLessThan(30_000);
  });
});
