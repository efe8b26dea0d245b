/**
 * Regression (issue 16 item 3): a zstd layer that starts with a skippable frame (magic
 * 0x184D2A50..0x184D2A5F, RFC 8878 section 3.1.2; valid zstd, which `zstd -d` reads) gave
 * E_NOT_AN_ARCHIVE. Blobs are made by the zstd CLI with a skippable frame in front.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { openDockerArchive } from '../../packages/core/src/sources/docker-archive.js';
import type { LoadedImage } from '../../packages/core/src/model.js';
import { makeTar } from '../helpers/tar.js';
import { archiveOf } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'imgsize-zstd-skippable-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const zstdCli = (input: Buffer): Buffer => execFileSync('zstd', ['-q', '-c', '-3'], { input, maxBuffer: 1 << 28 });

function skippableFrame(nibble: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32LE(0x184d2a50 + nibble, 0);
  h.writeUInt32LE(payload.length, 4);
  return Buffer.concat([h, payload]);
}

const scans = (img: LoadedImage): unknown => img.layers.map((l) => l.scan);

describe('zstd with a leading skippable frame', () => {
  it('a layer blob: read on the fast path and the stream path, as zstd, with the plain layer\'s scan', async () => {
    const tar = await makeTar([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/hello.txt', content: 'hello from a skippable-framed layer\n'.repeat(100) },
      { name: 'usr/bin/tool', content: Buffer.alloc(70_000, 7) },
    ]);
    const blob = Buffer.concat([skippableFrame(0xa, Buffer.from('imgsize test metadata')), zstdCli(tar)]);
    expect(execFileSync('zstd', ['-q', '-d', '-c'], { input: blob }).equals(tar)).toBe(true);
    const plainPath = join(dir, 'plain.tar');
    const skipPath = join(dir, 'skippable.tar');
    writeFileSync(plainPath, archiveOf([tar]));
    writeFileSync(skipPath, archiveOf([blob]));
    const plain = await openDockerArchive(plainPath).load();
    const file = await openDockerArchive(skipPath).load();
    const stream = await openDockerArchive(Readable.from([archiveOf([blob])]), { name: 'stdin' }).load();
    for (const img of [file, stream]) {
      expect(img.layers[0]!.compression).toBe('zstd');
      expect(img.layers[0]!.compressedSize).toBe(blob.length);
      expect(scans(img)).toEqual(scans(plain));
    }
  });

  it('a whole archive (`docker save | zstd` behind a skippable frame) is read as a zstd stream', async () => {
    const tar = await makeTar([{ name: 'a.txt', content: 'a' }]);
    const archive = archiveOf([tar]);
    const input = Buffer.concat([skippableFrame(0, Buffer.alloc(40)), zstdCli(archive)]);
    const path = join(dir, 'whole.tar.zst');
    writeFileSync(path, input);
    const img = await openDockerArchive(path).load();
    expect(img.source.inputCompression).toBe('zstd');
    expect(scans(img)).toEqual(scans(await openDockerArchive(Readable.from([archive])).load()));
  });
});
