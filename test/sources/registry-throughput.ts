/**
 * Registry analysis throughput, for BENCHMARKS.md. Run with tsx (starts the test services if needed):
 *
 *   npx tsx test/sources/registry-throughput.ts [--layers 4] [--layer-mb 48] [--runs 5]
 *
 * Pushes a multi-layer gzip image (mixed binary / text / incompressible files, realistic ratios)
 * to the local open registry, then prints medians of:
 *   - `gzip -dc` of the same layer blobs from local files (decompression alone, one core);
 *   - imgsize registry analysis without cache (download + verify + gunzip + tar scan), concurrency 1 and 3;
 *   - imgsize with a warm layer cache (manifest + config only), and its speedup.
 */
import { spawnSync, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateBytes } from '../../fixtures/images/content.js';
import { openRegistry } from '../../packages/core/src/sources/registry.js';
import { loadServices } from '../services/services.js';
import { dockerArchive, type GenFile } from './fixture-image.js';

const HERE = dirname(fileURLToPath(import.meta.url));

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function bytesOf(seed: string, size: number, kind: 'binary' | 'text' | 'random'): Buffer {
  return Buffer.concat([...generateBytes(seed, size, kind)]);
}

async function main(): Promise<void> {
  const layers = arg('layers', 4);
  const layerMb = arg('layer-mb', 48);
  const runs = arg('runs', 5);
  let svc = loadServices();
  if (!svc) {
    const r = spawnSync('bash', [join(HERE, '..', 'services', 'start.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) throw new Error('test services could not be started (see above)');
    svc = loadServices()!;
  }
  const tmp = await mkdtemp(join(tmpdir(), 'imgsize-throughput-'));
  try {
    // Each layer: a mix like a real one — many small text files, some binaries, one incompressible blob.
    const genLayers = Array.from({ length: layers }, (_, li) => {
      const files: GenFile[] = [{ path: `l${li}/`, type: 'dir' }];
      const total = layerMb << 20;
      const kinds: ['binary' | 'text' | 'random', number][] = [['binary', 0.5], ['text', 0.3], ['random', 0.2]];
      for (const [kind, share] of kinds) {
        const budget = Math.floor(total * share);
        const per = kind === 'text' ? 16 << 10 : kind === 'binary' ? 512 << 10 : budget;
        for (let off = 0, i = 0; off < budget; off += per, i++) {
          const size = Math.min(per, budget - off);
          files.push({ path: `l${li}/${kind}/${i}.${kind === 'text' ? 'py' : kind === 'binary' ? 'so' : 'bin'}`, content: bytesOf(`${li}/${kind}/${i}`, size, kind) });
        }
      }
      return { createdBy: `layer ${li}`, files };
    });
    const salt = createHash('sha256').update(String(Date.now())).digest('hex').slice(0, 12);
    genLayers[0]!.files.push({ path: 'l0/salt', content: salt });
    const repo = `imgsize-bench/throughput-${salt}`;
    const built = await dockerArchive({ repoTag: `${repo}:v1`, layers: genLayers });
    const archive = join(tmp, 'image.tar');
    await writeFile(archive, built.archive);
    execFileSync('skopeo', ['--insecure-policy', 'copy', '--quiet', '--dest-tls-verify=false', `docker-archive:${archive}`, `docker://${svc.registry}/${repo}:v1`]);
    const ref = `registry://${svc.registry}/${repo}:v1`;

    // The same blobs as local files, for the gzip -dc baseline.
    const meta = await openRegistry(ref, { noCache: true, metadataOnly: true }).load();
    const compressed = meta.layers.reduce((s, l) => s + (l.compressedSize ?? 0), 0);
    const uncompressed = built.layerTars.reduce((s, t) => s + t.length, 0);
    const blobFiles: string[] = [];
    for (const l of meta.layers) {
      const res = await fetch(`http://${svc.registry}/v2/${repo}/blobs/${l.digest}`);
      const f = join(tmp, l.digest!.slice(7));
      await writeFile(f, Buffer.from(await res.arrayBuffer()));
      blobFiles.push(f);
    }
    const time = async (fn: () => unknown): Promise<number> => {
      const t0 = process.hrtime.bigint();
      await fn();
      return Number(process.hrtime.bigint() - t0) / 1e9;
    };
    const gz: number[] = [];
    const c1: number[] = [];
    const c3: number[] = [];
    const warm: number[] = [];
    const cacheDir = join(tmp, 'cache');
    for (let i = 0; i < runs; i++) {
      gz.push(await time(() => {
        for (const f of blobFiles) execFileSync('sh', ['-c', `gzip -dc < '${f}' > /dev/null`]);
      }));
      c1.push(await time(() => openRegistry(ref, { noCache: true, concurrency: 1 }).load()));
      c3.push(await time(() => openRegistry(ref, { noCache: true, concurrency: 3 }).load()));
    }
    const cold = await time(() => openRegistry(ref, { cacheDir }).load());
    for (let i = 0; i < runs; i++) warm.push(await time(() => openRegistry(ref, { cacheDir }).load()));

    const mb = (n: number): string => (n / (1 << 20)).toFixed(1);
    const rate = (bytes: number, s: number): string => `${(bytes / (1 << 20) / s).toFixed(0)} MiB/s`;
    const row = (name: string, s: number): string =>
      `| ${name.padEnd(44)} | ${s.toFixed(3).padStart(8)} s | ${rate(compressed, s).padStart(12)} | ${rate(uncompressed, s).padStart(12)} |`;
    console.log(`\nregistry throughput: ${layers} gzip layers, ${mb(compressed)} MiB compressed / ${mb(uncompressed)} MiB uncompressed, ${runs} runs, medians`);
    console.log(`node ${process.version}, ${(await import('node:os')).cpus().length} cores, registry on loopback\n`);
    console.log(`| ${'what'.padEnd(44)} | ${'median'.padStart(10)} | ${'compressed'.padStart(12)} | ${'uncompressed'.padStart(12)} |`);
    console.log(`|${'-'.repeat(46)}|${'-'.repeat(12)}|${'-'.repeat(14)}|${'-'.repeat(14)}|`);
    console.log(row('gzip -dc of the blobs (local files, 1 core)', median(gz)));
    console.log(row('imgsize registry, no cache, concurrency 1', median(c1)));
    console.log(row('imgsize registry, no cache, concurrency 3', median(c3)));
    console.log(row('imgsize registry, cold cache (fills it)', cold));
    console.log(row('imgsize registry, warm layer cache', median(warm)));
    console.log(`\nwarm-cache speedup over no cache (concurrency 3): ${(median(c3) / median(warm)).toFixed(1)}x`);
    console.log(`imgsize (concurrency 3) vs gzip -dc alone: ${(median(gz) / median(c3)).toFixed(2)}x the speed`);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
