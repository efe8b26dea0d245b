/**
 * The registry source against a real registry behind a fault-injecting proxy: resets and stalls
 * mid-blob resume with `Range`, 503/429 with Retry-After are retried within the budget, a flipped
 * byte is E_DIGEST_MISMATCH, blob redirects to "storage" are followed (without the registry's
 * Authorization) and capped, manifests are size-capped, downloads are bounded in concurrency and
 * abortable, and the layer cache makes a second run download no layer.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { createLayerCache } from '../../packages/core/src/layer-cache.js';
import type { LoadedImage } from '../../packages/core/src/model.js';
import { openRegistry, type RegistrySourceOptions } from '../../packages/core/src/sources/registry.js';
import { describeServices } from '../services/services.js';
import { startFaultProxy, isBlobGet, type FaultProxy } from './fault-proxy.js';
import { writeDockerArchive } from './fixture-image.js';
import { makeTmp, manifestDescriptor, normalForm, skopeoCopy, uniqueRepo } from './helpers.js';

const BIG = 3 << 20;

describeServices('registry source under injected faults', (svc) => {
  let tmp: Awaited<ReturnType<typeof makeTmp>>;
  let proxy: FaultProxy;
  let authProxy: FaultProxy;
  let baseline: LoadedImage;
  let bigDigest: string;
  let configDigest: string;
  const repo = uniqueRepo('imgsize-test/faults');
  const salt = `${process.pid}-${Date.now()}`;
  const quick: RegistrySourceOptions = { noCache: true, retry: { baseDelayMs: 20, maxAttempts: 4 }, idleTimeoutMs: 2_000 };
  const open = (opts: RegistrySourceOptions = {}, p: FaultProxy = proxy, tag = 'v1') => openRegistry(`registry://${p.host}/${repo}:${tag}`, { ...quick, ...opts });

  beforeAll(async () => {
    tmp = await makeTmp('faults');
    const archive = join(tmp.dir, 'image.tar');
    await writeDockerArchive(archive, {
      repoTag: `${repo}:v1`,
      layers: [
        { createdBy: 'ADD base', files: [{ path: 'etc/', type: 'dir' }, { path: 'etc/salt', content: salt }, { path: 'etc/small.txt', size: 10_000, fill: 'text' }] },
        { createdBy: 'ADD big', files: [{ path: 'data/', type: 'dir' }, { path: 'data/blob.bin', size: BIG }, { path: 'data/salt', content: salt }] },
        { createdBy: 'ADD more', files: [{ path: 'more/', type: 'dir' }, { path: 'more/a.bin', size: 200_000 }, { path: 'more/salt', content: salt }] },
      ],
    });
    await Promise.all([
      skopeoCopy(`docker-archive:${archive}`, `docker://${svc.registry}/${repo}:v1`),
      skopeoCopy(`docker-archive:${archive}`, `docker://${svc.authRegistry}/${repo}:v1`, ['--dest-creds', `${svc.user}:${svc.password}`]),
    ]);
    const m = await manifestDescriptor(svc.registry, repo, 'v1');
    const res = await fetch(`http://${svc.registry}/v2/${repo}/manifests/${m.digest}`, { headers: { Accept: m.mediaType } });
    const manifest = (await res.json()) as { config: { digest: string }; layers: { digest: string; size: number }[] };
    bigDigest = manifest.layers.reduce((a, b) => (b.size > a.size ? b : a)).digest;
    configDigest = manifest.config.digest;
    baseline = await openRegistry(`registry://${svc.registry}/${repo}:v1`, { noCache: true }).load();
    proxy = await startFaultProxy(svc.registry);
    const basic = `Basic ${Buffer.from(`${svc.user}:${svc.password}`).toString('base64')}`;
    authProxy = await startFaultProxy(svc.authRegistry, () => undefined, { storageHeaders: { authorization: basic } });
  });
  afterAll(async () => {
    await proxy?.close();
    await authProxy?.close();
    await tmp?.cleanup();
  });
  beforeEach(() => {
    proxy.requests.length = 0;
    proxy.rule = () => undefined;
    proxy.maxBlobsInFlight = 0;
  });

  it('passes through a clean proxy unchanged', async () => {
    expect(normalForm(await open().load())).toEqual(normalForm(baseline));
    expect(baseline.layers.find((l) => l.digest === bigDigest)!.scan.contentBytes).toBeGreaterThanOrEqual(BIG);
  });

  it('resumes a blob download reset mid-way with Range: bytes=N-', async () => {
    let hits = 0;
    proxy.rule = (r) => (isBlobGet(r, bigDigest) && hits++ === 0 ? { kind: 'reset-after', bytes: 1 << 20 } : undefined);
    const img = await open().load();
    expect(normalForm(img)).toEqual(normalForm(baseline));
    const gets = proxy.requests.filter((r) => isBlobGet(r, bigDigest));
    expect(gets.map((r) => r.fault)).toEqual(['reset-after', 'pass']);
    const range = String(gets[1]!.headers.range ?? '');
    expect(range).toMatch(/^bytes=\d+-$/);
    expect(Number(/=(\d+)-/.exec(range)![1])).toBeGreaterThan(0);
  });

  it('drops a stalled download after the idle timeout and resumes it', async () => {
    let hits = 0;
    proxy.rule = (r) => (isBlobGet(r, bigDigest) && hits++ === 0 ? { kind: 'stall-after', bytes: 512 << 10, ms: 20_000 } : undefined);
    const t0 = Date.now();
    const img = await open({ idleTimeoutMs: 400 }).load();
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(normalForm(img)).toEqual(normalForm(baseline));
    const gets = proxy.requests.filter((r) => isBlobGet(r, bigDigest));
    expect(gets).toHaveLength(2);
    expect(String(gets[1]!.headers.range)).toMatch(/^bytes=[1-9]\d*-$/);
  });

  it('honours Retry-After on a 503', async () => {
    let hits = 0;
    proxy.rule = (r) => (r.path.includes('/manifests/') && hits++ === 0 ? { kind: 'status', status: 503, headers: { 'Retry-After': '1' } } : undefined);
    const t0 = Date.now();
    await open().load();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(proxy.requests.filter((r) => r.path.includes('/manifests/')).map((r) => r.fault)).toEqual(['status', 'pass']);
  });

  it('gives up at once on a Retry-After beyond the budget (429)', async () => {
    proxy.rule = () => ({ kind: 'status', status: 429, headers: { 'Retry-After': '3600' } });
    const t0 = Date.now();
    await expect(open().load()).rejects.toMatchObject({ code: 'E_REGISTRY', message: expect.stringMatching(/rate limited.*retry after 3600 s/) });
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it('stops after the bounded number of attempts', async () => {
    proxy.rule = (r) => (isBlobGet(r) ? { kind: 'status', status: 502 } : undefined);
    await expect(open({ retry: { maxAttempts: 3, baseDelayMs: 10 } }).load()).rejects.toMatchObject({
      code: 'E_REGISTRY',
      message: expect.stringMatching(/HTTP 502; gave up after 3 attempts/),
    });
    // Config blob: 3 attempts, then nothing else is tried.
    expect(proxy.requests.filter((r) => isBlobGet(r))).toHaveLength(3);
  });

  it('reports a flipped byte in a layer as E_DIGEST_MISMATCH, whatever the decompressor thought', async () => {
    proxy.rule = (r) => (isBlobGet(r, bigDigest) ? { kind: 'corrupt', at: 200_000 } : undefined);
    await expect(open().load()).rejects.toMatchObject({ code: 'E_DIGEST_MISMATCH', message: expect.stringContaining(bigDigest) });
  });

  it('reports a corrupt config blob as E_DIGEST_MISMATCH', async () => {
    proxy.rule = (r) => (isBlobGet(r, configDigest) ? { kind: 'corrupt', at: 10 } : undefined);
    await expect(open().load()).rejects.toMatchObject({ code: 'E_DIGEST_MISMATCH' });
  });

  it('follows blob redirects to storage on another origin without sending the registry credentials there', async () => {
    authProxy.requests.length = 0;
    authProxy.rule = (r) =>
      isBlobGet(r) ? { kind: 'redirect', location: `http://localhost:${authProxy.port}/_storage${r.path}?X-Amz-Signature=s3cr3t-signature` } : undefined;
    const img = await open({ username: svc.user, password: svc.password }, authProxy).load();
    expect(normalForm(img)).toEqual(normalForm(baseline));
    const storage = authProxy.requests.filter((r) => r.path.startsWith('/_storage/'));
    expect(storage.length).toBe(4); // config + 3 layers
    expect(storage.every((r) => r.headers.authorization === undefined)).toBe(true);
    expect(authProxy.requests.filter((r) => isBlobGet(r)).every((r) => String(r.headers.authorization).startsWith('Basic '))).toBe(true);
  });

  it('caps redirects', async () => {
    proxy.rule = (r) => (isBlobGet(r) ? { kind: 'redirect', location: `http://${proxy.host}${r.path}` } : undefined);
    await expect(open({ maxRedirects: 3 }).load()).rejects.toMatchObject({ code: 'E_REGISTRY', message: expect.stringMatching(/more than 3 redirects/) });
    // Signed storage URLs never appear in messages.
    proxy.rule = (r) => (isBlobGet(r) ? { kind: 'redirect', location: `https://127.0.0.1:1/bucket?X-Amz-Signature=topsecret` } : undefined);
    const e = await open().load().then(() => undefined, (x: unknown) => x as Error);
    expect(e).toBeInstanceOf(Error);
    expect(String(e?.message)).not.toContain('topsecret');
  });

  it('caps the manifest size', async () => {
    await expect(open({ maxManifestBytes: 100 }).load()).rejects.toMatchObject({ code: 'E_LIMIT' });
    const huge = Buffer.alloc(6 << 20, 0x20);
    proxy.rule = (r) => (r.path.includes('/manifests/') ? { kind: 'respond', status: 200, headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' }, body: huge } : undefined);
    await expect(open().load()).rejects.toMatchObject({ code: 'E_LIMIT' });
  });

  it('downloads at most `concurrency` blobs at once', async () => {
    await open({ concurrency: 1 }).load();
    expect(proxy.maxBlobsInFlight).toBe(1);
    proxy.maxBlobsInFlight = 0;
    await open({ concurrency: 3 }).load();
    expect(proxy.maxBlobsInFlight).toBeGreaterThan(1);
    expect(proxy.maxBlobsInFlight).toBeLessThanOrEqual(3);
  });

  it('stops downloading when aborted', async () => {
    proxy.rule = (r) => (isBlobGet(r, bigDigest) ? { kind: 'stall-after', bytes: 64 << 10, ms: 20_000 } : undefined);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const t0 = Date.now();
    await expect(open({ idleTimeoutMs: 30_000 }).load({ signal: ac.signal })).rejects.toMatchObject({ code: 'E_ABORTED' });
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('serves a second run from the layer cache, and rewrites a corrupt entry', async () => {
    const cacheDir = join(tmp.dir, 'cache');
    const first = await open({ noCache: false, cacheDir }).load();
    expect(proxy.requests.filter((r) => isBlobGet(r)).length).toBe(4);
    proxy.requests.length = 0;
    const second = await open({ noCache: false, cacheDir }).load();
    const blobGets = proxy.requests.filter((r) => isBlobGet(r));
    expect(blobGets.map((r) => r.path)).toEqual([expect.stringContaining(configDigest)]);
    expect(normalForm(second)).toEqual(normalForm(first));
    expect(second.layers.map((l) => l.compressedSize)).toEqual(first.layers.map((l) => l.compressedSize));

    // Break the big layer's entry: it is ignored, downloaded again, and rewritten.
    const files = await listFiles(join(cacheDir, 'layers'));
    const entry = files.find((f) => f.includes(bigDigest.slice(7)))!;
    await writeFile(entry, 'not gzip at all');
    proxy.requests.length = 0;
    const third = await open({ noCache: false, cacheDir }).load();
    expect(normalForm(third)).toEqual(normalForm(first));
    expect(proxy.requests.filter((r) => isBlobGet(r)).map((r) => r.path.slice(-64)).sort()).toEqual([bigDigest.slice(7), configDigest.slice(7)].sort());
    expect((await readFile(entry))[0]).toBe(0x1f);
    const hit = await createLayerCache({ dir: cacheDir }).get(bigDigest);
    expect(hit?.scan.contentBytes).toBe(first.layers.find((l) => l.digest === bigDigest)!.scan.contentBytes);
  });
});

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else out.push(p);
  }
  return out;
}
