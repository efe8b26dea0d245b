/**
 * Writes a large docker-save archive (legacy layout) for the progress/abort/stall tests and the
 * bench: `layers` layer tars of many small text files plus a few large ones, each built in memory
 * (one layer at a time), hashed for its diffID and appended to the outer tar on disk.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';

function header(name: string, size: number, type: '0' | '5' = '0'): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write(type === '5' ? '0000755\0' : '0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(size.toString(8).padStart(11, '0') + '\0', 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write(type, 156);
  h.write('ustar\0' + '00', 257);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return h;
}

const pad = (n: number): Buffer => Buffer.alloc((512 - (n % 512)) % 512);

/** Text-like bytes (deflate does real work on them, as on source files). */
function textBlock(seed: number, size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    b[i] = 32 + ((s >>> 0) % 64);
  }
  return b;
}

function tarOf(entries: Array<{ name: string; data?: Buffer; dir?: boolean }>): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    if (e.dir) {
      parts.push(header(e.name, 0, '5'));
      continue;
    }
    parts.push(header(e.name, e.data!.length), e.data!, pad(e.data!.length));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** Writes the archive to `file`; returns its size in bytes. About `layers` × 40 MB. */
export function writeBigArchive(file: string, layers = 8): number {
  const block = textBlock(42, 1 << 20);
  const fd = openSync(file, 'w');
  let size = 0;
  const out = (b: Buffer): void => {
    writeSync(fd, b);
    size += b.length;
  };
  const outerEntry = (name: string, data: Buffer): void => {
    out(header(name, data.length));
    out(data);
    out(pad(data.length));
  };
  try {
    const diffIds: string[] = [];
    const paths: string[] = [];
    for (let l = 0; l < layers; l++) {
      const entries: Array<{ name: string; data?: Buffer; dir?: boolean }> = [{ name: `l${l}/`, dir: true }];
      // 6,000 small files (~2 KB average) and 3 files of 8 MiB.
      for (let f = 0; f < 6000; f++) {
        const n = 64 + ((f * 7919 + l * 104729) % 4000);
        const at = (f * 4099) % (block.length - n);
        entries.push({ name: `l${l}/src/f${f}.py`, data: block.subarray(at, at + n) });
      }
      for (let f = 0; f < 3; f++) {
        const big = Buffer.allocUnsafe(8 << 20);
        for (let o = 0; o < big.length; o += block.length) block.copy(big, o, (o + f * 977 + l) % 4096);
        entries.push({ name: `l${l}/data/blob${f}.bin`, data: big });
      }
      const tar = tarOf(entries);
      diffIds.push(`sha256:${createHash('sha256').update(tar).digest('hex')}`);
      const path = `${l.toString(16).padStart(64, '0')}/layer.tar`;
      paths.push(path);
      outerEntry(path, tar);
    }
    const config = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: {},
        rootfs: { type: 'layers', diff_ids: diffIds },
        history: diffIds.map((_, i) => ({ created_by: `RUN layer ${i}` })),
      }),
    );
    const configName = `${createHash('sha256').update(config).digest('hex')}.json`;
    outerEntry(configName, config);
    outerEntry('manifest.json', Buffer.from(JSON.stringify([{ Config: configName, RepoTags: ['big:latest'], Layers: paths }])));
    out(Buffer.alloc(1024));
  } finally {
    closeSync(fd);
  }
  return size;
}
