/**
 * Broken and hostile archives: each gives its own stable error code, never a hang, a crash or a
 * partial report. Truncation is checked at many offsets on both readers.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeImage, ImgsizeError, openDockerArchive, type ErrorCode } from '@imgsize/core';
import { makeDockerSave, makeTar } from '../helpers/tar.js';

let dir: string;
let good: Buffer;
const CLI = join(__dirname, '../../packages/cli/dist/main.js');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'imgsize-errors-'));
  const l1 = await makeTar([{ name: 'etc/', type: 'directory' }, { name: 'etc/a', content: 'x'.repeat(3000) }, { name: 'bin/sh', content: 'y'.repeat(700) }]);
  const l2 = await makeTar([{ name: 'etc/.wh.a', content: '' }, { name: 'app/main.py', content: 'print(1)\n'.repeat(300) }]);
  good = await makeDockerSave([{ tag: 'app:1', layers: [l1, l2] }]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

async function codeOf(p: Promise<unknown>): Promise<ErrorCode | 'resolved'> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    if (!(e instanceof ImgsizeError)) throw e;
    return e.code;
  }
}

describe('archive errors', () => {
  it('the well-formed archive analyzes (control)', async () => {
    const r = await analyzeImage(openDockerArchive(file('good.tar', good)));
    expect(r.summary.deletedBytes).toBe(3000);
  });

  it('truncation at any offset is E_TRUNCATED (or E_NOT_AN_ARCHIVE before the first header), on both readers', async () => {
    const offsets = new Set<number>([1, 100, 511, 512, 513, 1024, good.length - 1025, good.length - 1024, good.length - 512, good.length - 1]);
    for (let o = 0; o < good.length; o += 997) offsets.add(o);
    for (const off of [...offsets].filter((o) => o > 0 && o < good.length)) {
      const cut = good.subarray(0, off);
      const p = file(`cut-${off}.tar`, cut);
      const expected = off < 512 ? ['E_NOT_AN_ARCHIVE', 'E_TRUNCATED'] : ['E_TRUNCATED'];
      const fast = await codeOf(analyzeImage(openDockerArchive(p)));
      const stream = await codeOf(analyzeImage(openDockerArchive(createReadStream(p))));
      expect(expected, `fast path cut at ${off}: ${fast}`).toContain(fast);
      expect(expected, `stream cut at ${off}: ${stream}`).toContain(stream);
    }
  });

  it('a corrupt gzip stream is E_DECOMPRESS; a truncated one is E_TRUNCATED or E_DECOMPRESS', async () => {
    const gz = gzipSync(good);
    const corrupt = Buffer.from(gz);
    for (let i = 40; i < corrupt.length - 20; i += 53) corrupt[i] ^= 0x5a;
    expect(await codeOf(analyzeImage(openDockerArchive(file('corrupt.tar.gz', corrupt))))).toBe('E_DECOMPRESS');
    const truncated = gz.subarray(0, Math.floor(gz.length / 2));
    expect(['E_TRUNCATED', 'E_DECOMPRESS']).toContain(await codeOf(analyzeImage(openDockerArchive(file('trunc.tar.gz', truncated)))));
  });

  it('no manifest.json: E_NO_MANIFEST', async () => {
    const layerOnly = await makeTar([{ name: 'etc/passwd', content: 'root:x:0:0' }]);
    expect(await codeOf(analyzeImage(openDockerArchive(file('layer.tar', layerOnly))))).toBe('E_NO_MANIFEST');
  });

  it.each([
    ['null', 'null'],
    ['not JSON', '{nope'],
    ['an object', '{}'],
    ['empty list', '[]'],
    ['no Layers', '[{"Config":"x.json"}]'],
  ])('manifest.json that is %s: E_BAD_MANIFEST', async (_what, manifest) => {
    const t = await makeTar([{ name: 'manifest.json', content: manifest }]);
    expect(await codeOf(analyzeImage(openDockerArchive(file('bad-manifest.tar', t))))).toBe('E_BAD_MANIFEST');
    expect(await codeOf(analyzeImage(openDockerArchive(createReadStream(join(dir, 'bad-manifest.tar')))))).toBe('E_BAD_MANIFEST');
  });

  it('a manifest naming a missing layer or config: E_LAYER_MISSING', async () => {
    const config = JSON.stringify({ rootfs: { type: 'layers', diff_ids: [`sha256:${'a'.repeat(64)}`] } });
    const t = await makeTar([
      { name: 'c.json', content: config },
      { name: 'manifest.json', content: JSON.stringify([{ Config: 'c.json', Layers: ['nope/layer.tar'] }]) },
    ]);
    expect(await codeOf(analyzeImage(openDockerArchive(file('missing.tar', t))))).toBe('E_LAYER_MISSING');
    const t2 = await makeTar([{ name: 'manifest.json', content: JSON.stringify([{ Config: 'gone.json', Layers: [] }]) }]);
    expect(await codeOf(analyzeImage(openDockerArchive(file('missing-config.tar', t2))))).toBe('E_LAYER_MISSING');
  });

  it('a config whose diff_ids disagree with the manifest: E_BAD_MANIFEST', async () => {
    const l = await makeTar([{ name: 'a', content: 'a' }]);
    const config = JSON.stringify({ rootfs: { type: 'layers', diff_ids: [] } });
    const t = await makeTar([
      { name: 'l/layer.tar', content: l },
      { name: 'c.json', content: config },
      { name: 'manifest.json', content: JSON.stringify([{ Config: 'c.json', Layers: ['l/layer.tar'] }]) },
    ]);
    expect(await codeOf(analyzeImage(openDockerArchive(file('mismatch.tar', t))))).toBe('E_BAD_MANIFEST');
  });

  it('several images: E_IMAGE_AMBIGUOUS without --image, the chosen one with it, E_IMAGE_NOT_FOUND for a wrong name', async () => {
    const a = await makeTar([{ name: 'a', content: 'aaaa' }]);
    const b = await makeTar([{ name: 'b', content: 'bbbbbbbb' }]);
    const p = file('multi.tar', await makeDockerSave([{ tag: 'one:1', layers: [a] }, { tag: 'two:2', layers: [a, b] }]));
    const err = await analyzeImage(openDockerArchive(p)).catch((e: ImgsizeError) => e);
    expect(err).toBeInstanceOf(ImgsizeError);
    expect((err as ImgsizeError).code).toBe('E_IMAGE_AMBIGUOUS');
    expect((err as ImgsizeError).hint).toContain('one:1');
    const r = await analyzeImage(openDockerArchive(p), { image: 'two:2' });
    expect(r.summary.contentBytes).toBe(12);
    expect(await codeOf(analyzeImage(openDockerArchive(p), { image: 'three' }))).toBe('E_IMAGE_NOT_FOUND');
  });

  it('a missing file is E_IO; a non-archive is E_NOT_AN_ARCHIVE; empty input is E_NOT_AN_ARCHIVE', async () => {
    expect(await codeOf(analyzeImage(openDockerArchive(join(dir, 'does-not-exist.tar'))))).toBe('E_IO');
    expect(await codeOf(analyzeImage(openDockerArchive(file('text.txt', Buffer.from('hello world\n'.repeat(100))))))).toBe('E_NOT_AN_ARCHIVE');
    expect(await codeOf(analyzeImage(openDockerArchive(file('empty.tar', Buffer.alloc(0)))))).toBe('E_NOT_AN_ARCHIVE');
  });

  it('an aborted signal rejects with E_ABORTED', async () => {
    const ac = new AbortController();
    ac.abort();
    expect(await codeOf(analyzeImage(openDockerArchive(file('good2.tar', good)), { signal: ac.signal }))).toBe('E_ABORTED');
  });
});

describe('CLI on bad input', () => {
  it('prints one line with the code and a hint, exits 2, no stack trace', () => {
    const r = spawnSync('node', [CLI, 'analyze', join(dir, 'nope.tar')], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^imgsize: error E_IO: .*no such file/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a truncated archive on stdin exits 2 with E_TRUNCATED', () => {
    const r = spawnSync('node', [CLI, 'analyze', '-'], { input: good.subarray(0, good.length - 700), encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^imgsize: error E_TRUNCATED: /);
  });

  it('usage errors exit 2', () => {
    expect(spawnSync('node', [CLI, 'analyze'], { encoding: 'utf8' }).status).toBe(2);
    expect(spawnSync('node', [CLI, 'frobnicate'], { encoding: 'utf8' }).status).toBe(2);
    expect(spawnSync('node', [CLI, 'analyze', 'x', '--nope'], { encoding: 'utf8' }).status).toBe(2);
  });

  it('--limit lowers a resource limit: E_LIMIT names it and says how to raise it', () => {
    const r = spawnSync('node', [CLI, 'analyze', join(dir, 'good.tar'), '--limit', 'maxEntriesPerLayer=1'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^imgsize: error E_LIMIT: .*maxEntriesPerLayer/);
    expect(r.stderr).toMatch(/hint: .*--limit maxEntriesPerLayer=/);
    const bad = spawnSync('node', [CLI, 'analyze', join(dir, 'good.tar'), '--limit', 'noSuchLimit=1'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown limit "noSuchLimit"/);
  });

  it('--debug adds the stack', () => {
    const r = spawnSync('node', [CLI, 'analyze', join(dir, 'nope.tar'), '--debug'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/\n\s+at /);
  });
});

void execFileSync;
void readFileSync;
