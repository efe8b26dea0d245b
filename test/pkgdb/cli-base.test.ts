/**
 * `imgsize analyze --base IMAGE`: the base image is any source; the layers whose diffIDs it shares
 * with the analyzed image are the `base-image` category, the rest of the OS packages `os-packages`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../helpers/cli.js';
import { makeDockerSave, makeTar } from '../helpers/tar.js';

let dir: string;
let base1: string;
let base2: string;
let app: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'imgsize-cli-base-'));
  const l0 = await makeTar([
    { name: 'lib/apk/db/installed', content: 'P:musl\nV:1-r0\nI:4096\nF:lib\nR:libc.so\n\nP:zlib\nV:1-r0\nI:4096\nF:lib\nR:libz.so\n\n' },
    { name: 'lib/libc.so', content: Buffer.alloc(6000, 1) },
    { name: 'lib/libz.so', content: Buffer.alloc(3000, 1) },
    { name: 'etc/os-release', content: 'ID=alpine\nVERSION_ID=3.20.0\n' },
  ]);
  const l1 = await makeTar([{ name: 'etc/base-extra', content: Buffer.alloc(2000, 2) }]);
  const l2 = await makeTar([
    { name: 'lib/apk/db/installed', content: 'P:musl\nV:1-r0\nI:4096\nF:lib\nR:libc.so\n\nP:zlib\nV:1-r0\nI:4096\nF:lib\nR:libz.so\n\nP:curl\nV:8-r0\nI:8192\nF:usr/bin\nR:curl\n\n' },
    { name: 'usr/bin/curl', content: Buffer.alloc(7000, 3) },
  ]);
  base1 = join(dir, 'base1.tar');
  base2 = join(dir, 'base2.tar');
  app = join(dir, 'app.tar');
  writeFileSync(base1, await makeDockerSave([{ tag: 'base:1', layers: [l0] }]));
  writeFileSync(base2, await makeDockerSave([{ tag: 'base:2', layers: [l0, l1] }]));
  writeFileSync(app, await makeDockerSave([{ tag: 'app:1', layers: [l0, l1, l2] }]));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('analyze --base', () => {
  it('marks the shared layers as the base image, by diffID', async () => {
    const guess = JSON.parse((await runCliInProcess(['analyze', app, '--json'])).stdout);
    expect(guess.baseImage).toEqual({ layers: 1, method: 'first-layer-guess', guessed: true });
    const cat = (r: { categories: Array<{ id: string; bytes: number }> }, id: string): number | undefined => r.categories.find((c) => c.id === id)?.bytes;
    // Without --base, layer 1's file is nobody's; with a 2-layer base it is the base image's.
    const r2 = await runCliInProcess(['analyze', app, '--base', base2, '--json']);
    expect(r2.code, r2.stderr).toBe(0);
    const two = JSON.parse(r2.stdout);
    expect(two.baseImage).toMatchObject({ layers: 2, method: 'option', guessed: false, name: 'base:2' });
    expect(cat(two, 'base-image')).toBe(cat(guess, 'base-image')! + 2000);
    expect(cat(two, 'os-packages')).toBe(cat(guess, 'os-packages'));
    expect(cat(two, 'os-packages')).toBeGreaterThanOrEqual(7000);
    expect(two.image.osRelease).toMatchObject({ id: 'alpine', versionId: '3.20.0' });
    const one = JSON.parse((await runCliInProcess(['analyze', app, '--base', base1, '--json'])).stdout);
    expect(one.baseImage).toMatchObject({ layers: 1, method: 'option', guessed: false });
    const text = (await runCliInProcess(['analyze', app, '--base', base2])).stdout;
    expect(text).toMatch(/Base image\s+base:2: 2 layers \(--base\)/);
    expect(text).toMatch(/OS\s+alpine 3\.20\.0/);
  });

  it('refuses stdin as the base', async () => {
    const r = await runCliInProcess(['analyze', app, '--base', '-']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--base cannot read stdin');
  });
});
