/**
 * Real apk: trivy's alpine-311.tar.gz (a whole Alpine 3.11 base image, docker save). Its 14
 * packages, and each one's bytes, must equal an independent sum computed here straight from the
 * layer tar (tar-stream, not imgsize's walkers): the regular files its `R:` lines name.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeImage } from '../../packages/core/src/analyze.js';
import { openSource } from '../../packages/core/src/index.js';
import type { Report } from '../../packages/core/src/report-schema.js';

const IMAGE = fileURLToPath(new URL('../../../shared/conformance/packages/image/trivy/alpine-311.tar.gz', import.meta.url));
const present = existsSync(IMAGE);
if (!present && process.env.CI === 'true') throw new Error(`CI=true but the fixture is missing: ${IMAGE}`);

/** Every entry of a tar: path (no leading ./ or /) → type and size; file bodies only for `keep`. */
async function readTar(buf: Buffer, keep: (name: string) => boolean): Promise<{ entries: Map<string, { type: string; size: number }>; bodies: Map<string, Buffer> }> {
  const entries = new Map<string, { type: string; size: number }>();
  const bodies = new Map<string, Buffer>();
  const ex = tar.extract();
  const done = new Promise<void>((res, rej) => {
    ex.on('finish', res);
    ex.on('error', rej);
  });
  ex.on('entry', (h, stream, next) => {
    const name = h.name.replace(/^\.?\/+/, '').replace(/\/$/, '');
    entries.set(name, { type: h.type ?? 'file', size: h.size ?? 0 });
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => keep(name) && chunks.push(c));
    stream.on('end', () => {
      if (keep(name)) bodies.set(name, Buffer.concat(chunks));
      next();
    });
  });
  ex.end(buf);
  await done;
  return { entries, bodies };
}

describe.skipIf(!present)('trivy alpine-311 image: apk attribution', () => {
  let report: Report;
  let truth: Map<string, { version: string; bytes: number; files: number; installed: number }>;

  beforeAll(async () => {
    report = await analyzeImage(openSource(IMAGE));
    const outer = await readTar(gunzipSync(readFileSync(IMAGE)), (n) => n.endsWith('layer.tar'));
    const layers = [...outer.bodies.values()];
    expect(layers).toHaveLength(1);
    const layer = await readTar(layers[0]!, (n) => n === 'lib/apk/db/installed');
    truth = new Map();
    for (const stanza of layer.bodies.get('lib/apk/db/installed')!.toString('utf8').split('\n\n')) {
      let name = '';
      let version = '';
      let installed = 0;
      let dir = '';
      let bytes = 0;
      let files = 0;
      for (const line of stanza.split('\n')) {
        const [k, v] = [line.slice(0, 2), line.slice(2)];
        if (k === 'P:') name = v;
        else if (k === 'V:') version = v;
        else if (k === 'I:') installed = Number(v);
        else if (k === 'F:') dir = v;
        else if (k === 'R:') {
          const e = layer.entries.get(dir ? `${dir}/${v}` : v);
          if (e?.type === 'file') {
            bytes += e.size;
            files++;
          }
        }
      }
      if (name) truth.set(name, { version, bytes, files, installed });
    }
  }, 120_000);

  it('has the 14 packages trivy asserts, each with the bytes of its files in the layer', () => {
    const apk = report.packages!.packages.filter((p) => p.manager === 'apk');
    expect(apk.map((p) => `${p.name}@${p.version}`).sort()).toEqual([
      'alpine-baselayout@3.2.0-r3',
      'alpine-keys@2.1-r2',
      'apk-tools@2.10.4-r3',
      'busybox@1.31.1-r9',
      'ca-certificates-cacert@20191127-r1',
      'libc-utils@0.7.2-r0',
      'libcrypto1.1@1.1.1d-r3',
      'libssl1.1@1.1.1d-r3',
      'libtls-standalone@2.9.1-r0',
      'musl-utils@1.1.24-r2',
      'musl@1.1.24-r2',
      'scanelf@1.2.4-r0',
      'ssl_client@1.31.1-r9',
      'zlib@1.2.11-r3',
    ]);
    expect(truth.size).toBe(14);
    for (const [name, t] of truth) {
      const p = apk.find((x) => x.name === name)!;
      expect({ name, version: p.version, bytes: p.visibleBytes, files: p.files, sizeTag: p.sizeTag }).toEqual({ name, version: t.version, bytes: t.bytes, files: t.files, sizeTag: t.installed });
    }
  });

  it('matches EXPECTED.md: 5568625 owned bytes, 22659 bytes in 10 unowned files, Alpine 3.11.5', () => {
    expect(report.packages!.managers.apk).toEqual({ packages: 14, visibleBytes: 5568625 });
    expect([report.packages!.unownedBytes, report.packages!.unownedFiles]).toEqual([22659, 10]);
    const by = (n: string): number => report.packages!.packages.find((p) => p.name === n)!.visibleBytes;
    expect([by('musl'), by('busybox'), by('alpine-baselayout'), by('libcrypto1.1'), by('libc-utils')]).toEqual([596528, 850121, 61107, 2684819, 0]);
    expect(report.image.osRelease).toMatchObject({ id: 'alpine', versionId: '3.11.5', path: '/etc/os-release' });
    expect(report.layers[0]!.diffId).toBe('sha256:beee9f30bc1f711043e78d4a2be0668955d4b761d587d6f60c2c8dc081efb203');
    expect(report.warnings).toEqual([]);
  });
});
