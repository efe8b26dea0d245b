/**
 * Regression (issue 16 item 4): when the registry redirects a blob to another host (object
 * storage) and that host resets the connection, the error named the registry. It must name the
 * host that reset it (scheme, host and port: never the signed URL), and the registry that sent
 * us there. Real registry behind test/sources/fault-proxy.ts; the "storage" is a loopback server.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openRegistry, type RegistrySourceOptions } from '../../packages/core/src/sources/registry.js';
import { simpleTar } from '../fuzz/raw-tar.js';
import { describeServices } from '../services/services.js';
import { isBlobGet, startFaultProxy, type FaultProxy } from '../sources/fault-proxy.js';
import { uniqueRepo } from '../sources/helpers.js';
import { errorOf } from './helpers.js';
import { pushBlob, pushManifest } from './hostile-proxy.js';

const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

type StorageMode = 'reset-before-headers' | 'reset-mid-body';

describeServices('a redirect target that resets the connection is named in the error', (svc) => {
  const repo = uniqueRepo('imgsize-test/redirect-reset');
  let proxy: FaultProxy;
  let storage: http.Server;
  let storagePort = 0;
  let mode: StorageMode = 'reset-before-headers';
  let layerDigest: string;
  const sockets = new Set<Socket>();
  const quick: RegistrySourceOptions = { noCache: true, retry: { baseDelayMs: 10, maxAttempts: 2 }, idleTimeoutMs: 3_000, headersTimeoutMs: 3_000 };

  beforeAll(async () => {
    const tar = simpleTar([{ name: 'data/x.bin', content: randomBytes(300_000) }]);
    const blob = gzipSync(tar);
    layerDigest = sha(blob);
    const config = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha(tar)] }, history: [{ created_by: 'ADD x' }] });
    await pushBlob(svc.registry, repo, layerDigest, blob);
    await pushBlob(svc.registry, repo, sha(config), Buffer.from(config));
    await pushManifest(
      svc.registry,
      repo,
      'v1',
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layerDigest, size: blob.length }],
      }),
    );
    storage = http.createServer((req, res) => {
      if (mode === 'reset-before-headers') {
        req.socket.destroy();
        return;
      }
      // Headers promise the whole blob; half of it comes, then the connection is reset.
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(blob.length) });
      res.write(blob.subarray(0, blob.length >> 1), () => req.socket.resetAndDestroy());
    });
    storage.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => storage.listen(0, '127.0.0.1', resolve));
    storagePort = (storage.address() as AddressInfo).port;
    proxy = await startFaultProxy(svc.registry, (r) =>
      isBlobGet(r, layerDigest) ? { kind: 'redirect', location: `http://localhost:${storagePort}/bucket/${layerDigest}?X-Amz-Signature=s3cr3t` } : undefined,
    );
  });
  afterAll(async () => {
    await proxy?.close();
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => (storage ? storage.close(() => resolve()) : resolve()));
  });

  for (const m of ['reset-before-headers', 'reset-mid-body'] as const) {
    it(`${m}: E_NETWORK naming the storage host and the registry that redirected there`, async () => {
      mode = m;
      const e = await errorOf(openRegistry(`registry://${proxy.host}/${repo}:v1`, quick).load());
      expect(e.code).toBe('E_NETWORK');
      expect(e.message).toContain(`http://localhost:${storagePort} (where http://${proxy.host} redirected): connection reset`);
      expect(e.message).toContain(layerDigest);
      expect(e.message).not.toMatch(new RegExp(`from http://${proxy.host.replace(/\./g, '\\.')}:`));
      expect(e.message).not.toContain('s3cr3t');
      expect(e.message).not.toContain('/bucket/');
    });
  }
});
