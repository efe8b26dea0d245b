/**
 * Load through the library API, in one process: 20 analyses at once and 200 one after another
 * (small generated archives, every reader: file fast path, file stream, stdin-like stream, gzip'd
 * archive, OCI layout directory; plus the registry and the daemon when test/services runs). After
 * each round, memory returns to its baseline (heap and Buffers, after a forced GC), no file
 * descriptor is left open (/proc/self/fd), and no socket either.
 */
import { readdirSync, readlinkSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeImage } from '../../packages/core/src/analyze.js';
import type { ImageSource } from '../../packages/core/src/model.js';
import { openDaemon } from '../../packages/core/src/sources/daemon.js';
import { openDockerArchive } from '../../packages/core/src/sources/docker-archive.js';
import { openOciLayout } from '../../packages/core/src/sources/oci-layout.js';
import { openRegistry } from '../../packages/core/src/sources/registry.js';
import { smallImage, writeDockerArchive, writeOciLayout } from '../../fixtures/images/index.js';
import { describeServices } from '../services/services.js';
import { skopeoCopy, uniqueRepo } from '../sources/helpers.js';
import { dockerOf, dockerLoad } from '../sources/helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const MiB = 2 ** 20;

/** Open file descriptors of this process, by kind ("socket", "pipe", "anon_inode", or "file"). */
function fds(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // the fd of the readdir itself, gone already
    }
    const kind = /^(socket|pipe|anon_inode):/.exec(target)?.[1] ?? 'file';
    out[kind] = (out[kind] ?? 0) + 1;
  }
  return out;
}

async function settle(): Promise<{ heap: number; buffers: number; fds: Record<string, number> }> {
  // Let closed handles finish closing, then collect twice (weak refs, finalizers).
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 50));
    gc();
  }
  const m = process.memoryUsage();
  return { heap: m.heapUsed, buffers: m.external + m.arrayBuffers, fds: fds() };
}

/** Runs `make()` sources `n` times `concurrency` at a time; every analysis must succeed. */
async function run(make: (i: number) => ImageSource, n: number, concurrency: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < n; i = next++) {
        const r = await analyzeImage(make(i));
        expect(r.summary.layers).toBeGreaterThan(0);
      }
    }),
  );
}

function expectBackToBaseline(before: Awaited<ReturnType<typeof settle>>, after: Awaited<ReturnType<typeof settle>>): void {
  // A leak is growth; a connection of the set-up that closed meanwhile is not.
  for (const kind of new Set([...Object.keys(before.fds), ...Object.keys(after.fds)])) {
    expect(after.fds[kind] ?? 0, `open ${kind} descriptors: ${JSON.stringify(before.fds)} -> ${JSON.stringify(after.fds)}`).toBeLessThanOrEqual(before.fds[kind] ?? 0);
  }
  expect(after.heap - before.heap, 'heap growth').toBeLessThan(16 * MiB);
  expect(after.buffers - before.buffers, 'Buffer growth').toBeLessThan(16 * MiB);
}

describe('load: many analyses in one process (archives and layouts)', () => {
  let dir: string;
  let sources: ((i: number) => ImageSource)[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'imgsize-load-'));
    const img = smallImage();
    const legacy = join(dir, 'small.tar');
    const ociGz = join(dir, 'small-oci-gz.tar');
    await writeDockerArchive(img, legacy, { layout: 'legacy' });
    await writeDockerArchive(img, ociGz, { layout: 'oci', layerCompression: 'gzip' });
    const whole = join(dir, 'small.tar.gz');
    const { readFileSync } = await import('node:fs');
    const legacyBytes = readFileSync(legacy);
    writeFileSync(whole, gzipSync(legacyBytes));
    const layout = join(dir, 'layout');
    mkdirSync(layout);
    await writeOciLayout(img, layout, { layerCompression: 'gzip' });
    sources = [
      () => openDockerArchive(legacy),
      () => openDockerArchive(ociGz),
      () => openDockerArchive(whole),
      () => openDockerArchive(Readable.from([legacyBytes.subarray(0, 1000), legacyBytes.subarray(1000)]), { name: 'stream' }),
      () => openOciLayout(layout),
    ];
    // Warm up: module loading and JIT are not a leak.
    await run((i) => sources[i % sources.length]!(i), sources.length * 2, 1);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('20 at once, then 200 in a row: memory back to baseline, no fd left open', { timeout: 120_000 }, async () => {
    const base = await settle();
    const t0 = Date.now();
    await run((i) => sources[i % sources.length]!(i), 20, 20);
    const afterConcurrent = await settle();
    expectBackToBaseline(base, afterConcurrent);
    await run((i) => sources[i % sources.length]!(i), 200, 1);
    const afterSequential = await settle();
    expectBackToBaseline(base, afterSequential);
    // a budget for a 2-core CI box: ~220 analyses of a 3-layer image
    expect(Date.now() - t0).toBeLessThan(60_000);
  });

  it('failing analyses leak nothing either (truncated, corrupt, aborted)', { timeout: 60_000 }, async () => {
    const { readFileSync } = await import('node:fs');
    const good = readFileSync(join(dir, 'small.tar'));
    const cut = join(dir, 'cut.tar');
    writeFileSync(cut, good.subarray(0, Math.floor(good.length * 0.6)));
    const corrupt = Buffer.from(readFileSync(join(dir, 'small.tar.gz')));
    corrupt[Math.floor(corrupt.length / 2)] ^= 0xff;
    const corruptPath = join(dir, 'corrupt.tar.gz');
    writeFileSync(corruptPath, corrupt);
    const base = await settle();
    for (let i = 0; i < 100; i++) {
      const ac = new AbortController();
      if (i % 3 === 2) setTimeout(() => ac.abort(), 1);
      const src = i % 3 === 0 ? openDockerArchive(cut) : i % 3 === 1 ? openDockerArchive(corruptPath) : openDockerArchive(join(dir, 'small-oci-gz.tar'));
      await analyzeImage(src, { signal: ac.signal }).catch(() => undefined);
    }
    expectBackToBaseline(base, await settle());
  });
});

describeServices('load: registry and daemon (sockets closed afterwards)', (svc) => {
  const repo = uniqueRepo('imgsize-test/load');
  let tag: string;
  let tmp: string;

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'imgsize-load-svc-'));
    const archive = join(tmp, 'small.tar');
    tag = `${repo}:v1`;
    await writeDockerArchive({ ...smallImage(), repoTag: tag }, archive, { layout: 'legacy' });
    await skopeoCopy(`docker-archive:${archive}`, `docker://${svc.registry}/${tag}`);
    await dockerLoad(dockerOf(svc), archive);
    // warm up
    await analyzeImage(openRegistry(`registry://${svc.registry}/${tag}`, { noCache: true }));
    await analyzeImage(openDaemon(tag, { dockerHost: svc.dockerHost }));
  });
  afterAll(async () => {
    await dockerOf(svc).getImage(tag).remove({ force: true }).catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('registry: 20 at once, then 200 in a row', { timeout: 180_000 }, async () => {
    const base = await settle();
    const make = (): ImageSource => openRegistry(`registry://${svc.registry}/${tag}`, { noCache: true });
    await run(make, 20, 20);
    expectBackToBaseline(base, await settle());
    await run(make, 200, 1);
    expectBackToBaseline(base, await settle());
  });

  it('daemon: 20 at once, then 50 in a row', { timeout: 180_000 }, async () => {
    const base = await settle();
    const make = (): ImageSource => openDaemon(tag, { dockerHost: svc.dockerHost });
    await run(make, 20, 20);
    expectBackToBaseline(base, await settle());
    await run(make, 50, 1);
    expectBackToBaseline(base, await settle());
  });
});
