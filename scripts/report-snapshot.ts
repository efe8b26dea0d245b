/**
 * Refactor check: writes the JSON report of every fixture through every local source (and the
 * test registry when the services run) to a directory, or compares two such directories.
 *
 *   pnpm exec tsx scripts/report-snapshot.ts write <dir>
 *   pnpm exec tsx scripts/report-snapshot.ts compare <before-dir> <after-dir>
 *
 * `compare` normalises the deliberate report-schema changes of issue 10 (typed warnings are
 * turned back into the old `layer N: message` strings; `image.source.fastPath` is dropped) and
 * prints every difference that remains.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createGzip } from 'node:zlib';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { analyzeImage } from '../packages/core/src/analyze.js';
import { openDockerArchive } from '../packages/core/src/sources/docker-archive.js';
import { openOciLayout } from '../packages/core/src/sources/oci-layout.js';
import { openRegistry } from '../packages/core/src/sources/registry.js';
import type { ImageSource } from '../packages/core/src/model.js';
import { naiveMlImage, optimizedMlImage, smallImage, writeDockerArchive, writeOciLayout, type FixtureImage } from '../fixtures/images/index.js';
import { conformanceImage, writeDockerArchive as writeConformanceArchive } from '../test/sources/fixture-image.js';

const pexec = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;

async function write(outDir: string): Promise<void> {
  await mkdir(outDir, { recursive: true });
  const tmp = await mkdtemp(join(tmpdir(), 'imgsize-snapshot-'));
  const cases: { name: string; open: () => ImageSource }[] = [];
  try {
    for (const ex of ['naive-ml', 'optimized-ml']) {
      const p = join(root, 'fixtures/images/examples', `${ex}.tar.gz`);
      cases.push({ name: `example-${ex}`, open: () => openDockerArchive(p) });
    }
    const images: [string, FixtureImage][] = [
      ['small', smallImage()],
      ['naive', naiveMlImage({ scale: 8000 })],
      ['optimized', optimizedMlImage({ scale: 8000 })],
    ];
    for (const [name, img] of images) {
      const legacy = join(tmp, `${name}-legacy.tar`);
      await writeDockerArchive(img, legacy, { layout: 'legacy' });
      cases.push({ name: `${name}-legacy-file`, open: () => openDockerArchive(legacy) });
      cases.push({ name: `${name}-legacy-gzip-stream`, open: () => openDockerArchive(createReadStream(legacy).pipe(createGzip({ level: 1 })), { name: 'stdin' }) });
      for (const c of ['none', 'gzip', 'zstd'] as const) {
        const oci = join(tmp, `${name}-oci-${c}.tar`);
        await writeDockerArchive(img, oci, { layout: 'oci', layerCompression: c });
        cases.push({ name: `${name}-oci-archive-${c}`, open: () => openDockerArchive(oci) });
        cases.push({ name: `${name}-oci-archive-${c}-stream`, open: () => openDockerArchive(createReadStream(oci), { name: 'stdin' }) });
        const dir = join(tmp, `${name}-layout-${c}`);
        await writeOciLayout(img, dir, { layerCompression: c });
        cases.push({ name: `${name}-oci-layout-${c}`, open: () => openOciLayout(dir) });
        if (c === 'gzip') {
          // No oci-layout file: a warning.
          const bare = join(tmp, `${name}-layout-bare`);
          await writeOciLayout(img, bare, { layerCompression: c });
          await rm(join(bare, 'oci-layout'));
          cases.push({ name: `${name}-oci-layout-no-marker`, open: () => openOciLayout(bare) });
        }
      }
      // An OCI archive with index.json only (skopeo's oci-archive: transport).
      const idx = join(tmp, `${name}-index-only.tar`);
      await pexec('skopeo', ['--insecure-policy', 'copy', '--quiet', `docker-archive:${legacy}`, `oci-archive:${idx}:v1`]);
      cases.push({ name: `${name}-index-only-archive`, open: () => openDockerArchive(idx) });
    }
    const conf = join(tmp, 'conformance.tar');
    await writeConformanceArchive(conf, conformanceImage('imgsize-test/snapshot:v1', { salt: 'snapshot' }));
    cases.push({ name: 'conformance-legacy-file', open: () => openDockerArchive(conf) });
    const env = '/tmp/imgsize-services/env';
    if (existsSync(env)) {
      const registry = /IMGSIZE_REGISTRY=(\S+)/.exec(readFileSync(env, 'utf8'))?.[1];
      if (registry) {
        for (const [name] of images) {
          const ref = `${registry}/imgsize-snapshot/${name}:v1`;
          await pexec('skopeo', ['--insecure-policy', 'copy', '--quiet', '--dest-tls-verify=false', `docker-archive:${join(tmp, `${name}-legacy.tar`)}`, `docker://${ref}`]);
          cases.push({ name: `${name}-registry`, open: () => openRegistry(`registry://${ref}`, { noCache: true }) });
          cases.push({ name: `${name}-registry-metadata-only`, open: () => openRegistry(`registry://${ref}`, { noCache: true, metadataOnly: true }) });
        }
      }
    }
    for (const c of cases) {
      const report = await analyzeImage(c.open());
      // Temp paths differ between runs.
      report.image.ref = report.image.ref.replace(tmp, '<tmp>');
      report.image.source.ref = report.image.source.ref.replace(tmp, '<tmp>');
      await writeFile(join(outDir, `${c.name}.json`), `${JSON.stringify(report, null, 1)}\n`);
      console.log(`wrote ${c.name}`);
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Old shape of a warning: `layer N: message`, or the message. */
function warningText(w: unknown): string {
  if (typeof w === 'string') return w;
  const t = w as { message: string; layer?: number };
  return t.layer === undefined ? t.message : `layer ${t.layer}: ${t.message}`;
}

function normalise(r: Record<string, unknown>): unknown {
  const copy = structuredClone(r) as { image: { source: Record<string, unknown> }; warnings: unknown[] };
  delete copy.image.source.fastPath;
  copy.warnings = copy.warnings.map(warningText);
  return copy;
}

function differences(a: unknown, b: unknown, path: string, out: string[]): void {
  if (out.length > 20) return;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') {
    if (a !== b) out.push(`${path}: ${JSON.stringify(a)?.slice(0, 200)} -> ${JSON.stringify(b)?.slice(0, 200)}`);
    return;
  }
  const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
  for (const k of keys) differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`, out);
}

async function compare(before: string, after: string): Promise<number> {
  const names = (await readdir(before)).filter((n) => n.endsWith('.json')).sort();
  const afterNames = new Set((await readdir(after)).filter((n) => n.endsWith('.json')));
  let bad = 0;
  for (const n of names) {
    if (!afterNames.has(n)) {
      console.log(`MISSING ${n}`);
      bad++;
      continue;
    }
    // The test registry's port changes when the services restart.
    const read = async (d: string): Promise<Record<string, unknown>> => JSON.parse((await readFile(join(d, n), 'utf8')).replace(/127\.0\.0\.1:\d+/g, '<registry>'));
    const a = normalise(await read(before));
    const b = normalise(await read(after));
    const diffs: string[] = [];
    differences(a, b, '', diffs);
    if (diffs.length > 0) {
      bad++;
      console.log(`DIFFERS ${n}\n  ${diffs.join('\n  ')}`);
    }
  }
  console.log(`${names.length} reports compared, ${names.length - bad} identical after normalisation, ${bad} differ`);
  return bad;
}

const [cmd, a, b] = process.argv.slice(2);
if (cmd === 'write' && a) await write(a);
else if (cmd === 'compare' && a && b) process.exitCode = (await compare(a, b)) > 0 ? 1 : 0;
else {
  console.error('usage: report-snapshot.ts write <dir> | compare <before> <after>');
  process.exitCode = 2;
}
